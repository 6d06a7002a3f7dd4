// gowait: a Go process whose goroutines block in known ways, for
// taskscope's goroutine snapshot tests (tests/integration/go_snapshot.sh).
//
// One goroutine each blocked in sync.Mutex, sync.RWMutex, sync.Cond,
// sync.WaitGroup, a channel receive, a channel send, a select, a TCP read,
// time.Sleep, a channel receive on a thread it locked (LockOSThread), a
// blocking pipe read(2) made with syscall.Read (status syscall, not IO
// wait), one spinning on a CPU, plus -idle N goroutines parked on one
// channel. Each role's function is named block<Role> so tests find it in a
// stack. net/http/pprof is served on -pprof (loopback) so a test can take
// Go's own debug=2 dump of the same moment. Prints "ready PORT" when every
// goroutine has reached (or is about to reach) its wait.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	mu      sync.Mutex
	rw      sync.RWMutex
	condMu  sync.Mutex
	cond    = sync.NewCond(&condMu)
	wg      sync.WaitGroup
	recvCh  = make(chan int)
	sendCh  = make(chan int)
	selA    = make(chan int)
	selB    = make(chan string)
	lockedC = make(chan int)
	idleCh  = make(chan struct{})
	spins   uint64
	started sync.WaitGroup
)

//go:noinline
func blockMutex() {
	started.Done()
	mu.Lock() // held by main forever
	mu.Unlock()
}

//go:noinline
func blockRWMutex() {
	started.Done()
	rw.RLock() // main holds the write lock
	rw.RUnlock()
}

//go:noinline
func blockCond() {
	condMu.Lock()
	started.Done()
	cond.Wait()
	condMu.Unlock()
}

//go:noinline
func blockWaitGroup() {
	started.Done()
	wg.Wait() // counter stays at 1
}

//go:noinline
func blockChanRecv() {
	started.Done()
	<-recvCh
}

//go:noinline
func blockChanSend() {
	started.Done()
	sendCh <- 1
}

//go:noinline
func blockSelect() {
	started.Done()
	select {
	case <-selA:
	case <-selB:
	}
}

//go:noinline
func blockNetRead(c net.Conn) {
	started.Done()
	buf := make([]byte, 16)
	c.Read(buf) // the peer never writes
}

//go:noinline
func blockSleep() {
	started.Done()
	time.Sleep(time.Hour)
}

//go:noinline
func blockLocked() {
	runtime.LockOSThread()
	started.Done()
	<-lockedC
}

//go:noinline
func blockPipeSyscall(fd int) {
	started.Done()
	buf := make([]byte, 16)
	syscall.Read(fd, buf) // blocking fd: the goroutine sits in the syscall
}

//go:noinline
func spin() {
	started.Done()
	for {
		atomic.AddUint64(&spins, 1)
	}
}

var maxGap int64

//go:noinline
func gapMeter() {
	runtime.LockOSThread()
	last := time.Now()
	for {
		now := time.Now()
		if g := int64(now.Sub(last)); g > atomic.LoadInt64(&maxGap) {
			atomic.StoreInt64(&maxGap, g)
		}
		last = now
	}
}

func gapReporter(path string) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	for range c {
		g := atomic.SwapInt64(&maxGap, 0)
		tmp := path + ".tmp"
		os.WriteFile(tmp, []byte(fmt.Sprintf("%d\n", g)), 0o644)
		os.Rename(tmp, path)
	}
}

//go:noinline
func idle() {
	<-idleCh
}

func main() {
	pprofAddr := flag.String("pprof", "127.0.0.1:0", "net/http/pprof listen address")
	nidle := flag.Int("idle", 0, "extra idle goroutines")
	doSpin := flag.Bool("spin", true, "start the spinning goroutine")
	gapFile := flag.String("gap-file", "", "gap meter output (on SIGUSR1)")
	flag.Parse()

	mu.Lock()
	rw.Lock()
	wg.Add(1)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gowait:", err)
		os.Exit(1)
	}
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Fprintln(os.Stderr, "gowait:", err)
		os.Exit(1)
	}
	server, err := ln.Accept()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gowait:", err)
		os.Exit(1)
	}
	defer server.Close()
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		fmt.Fprintln(os.Stderr, "gowait: pipe:", err)
		os.Exit(1)
	}

	if *doSpin {
		started.Add(12)
	} else {
		started.Add(11)
	}
	go blockMutex()
	go blockRWMutex()
	go blockCond()
	go blockWaitGroup()
	go blockChanRecv()
	go blockChanSend()
	go blockSelect()
	go blockNetRead(client)
	go blockSleep()
	go blockLocked()
	go blockPipeSyscall(p[0])
	if *doSpin {
		go spin()
	}
	if *gapFile != "" {
		go gapReporter(*gapFile)
		go gapMeter()
	}
	for i := 0; i < *nidle; i++ {
		go idle()
	}
	started.Wait()

	pl, err := net.Listen("tcp", *pprofAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gowait: pprof listener:", err)
		os.Exit(1)
	}
	go http.Serve(pl, nil)
	// Give the goroutines that signalled "started" time to park.
	time.Sleep(200 * time.Millisecond)
	fmt.Printf("ready %d\n", pl.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	select {} // main parks too: "select (no cases)"
}
