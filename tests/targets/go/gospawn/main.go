// gospawn: starts -rate short-lived goroutines a second for -duration, for
// taskscope watch's goroutine tests and benchmarks. Each goroutine runs
// main.shortWorker (a SHA-256 of a small buffer) and exits. Prints
// "ready", then waits for the file -wait-for-file to exist (or a line on
// stdin without it; or -start-now) before starting, so a watcher can
// attach first; prints "spawned N" when done and exits.
package main

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

var sink [32]byte
var sinkMu sync.Mutex

//go:noinline
func shortWorker(i int, wg *sync.WaitGroup) {
	defer wg.Done()
	var buf [256]byte
	buf[0] = byte(i)
	sum := sha256.Sum256(buf[:])
	sinkMu.Lock()
	sink = sum
	sinkMu.Unlock()
}

func main() {
	rate := flag.Int("rate", 2000, "goroutines per second")
	dur := flag.Duration("duration", 5*time.Second, "how long to spawn")
	now := flag.Bool("start-now", false, "do not wait for a line on stdin")
	waitFile := flag.String("wait-for-file", "", "start once this file exists")
	flag.Parse()

	fmt.Printf("ready %d\n", os.Getpid())
	os.Stdout.Sync()
	if *waitFile != "" {
		for {
			if _, err := os.Stat(*waitFile); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	} else if !*now {
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	var wg sync.WaitGroup
	total := int(float64(*rate) * dur.Seconds())
	tick := time.Millisecond
	perTick := *rate / 1000
	if perTick < 1 {
		perTick = 1
		tick = time.Second / time.Duration(*rate)
	}
	n := 0
	t := time.NewTicker(tick)
	for n < total {
		<-t.C
		for j := 0; j < perTick && n < total; j++ {
			wg.Add(1)
			go shortWorker(n, &wg)
			n++
		}
	}
	t.Stop()
	wg.Wait()
	fmt.Printf("spawned %d\n", n)
	os.Stdout.Sync()
}
