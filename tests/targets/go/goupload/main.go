// goupload: the seed's Go upload service, as the seed document describes
// it, for taskscope's goroutine views (make demo, tools/compare-views,
// tests/integration/go_upload.sh).
//
// POST /upload (multipart: file, filename, version): takes the Redis lock
// lock:upload:<filename>:<version> with SET NX and a 30 s expiry, reads the
// whole file into memory, then runs two goroutines joined by a WaitGroup:
// one computes the SHA-256 of the data (checksumWorker), the other writes
// it to <storage>/<version>/<filename> without an fsync, as the seed's
// os.WriteFile does (writeWorker; -fsync=true adds one, for a durable
// comparison in the upload benchmark). Then it stores the
// metadata (filename, version, checksum, size, path, uploaded_at) in the
// Redis hash file:<filename>:<version> and releases the lock by
// compare-and-delete (a Lua script). 201 with the metadata as JSON; 409 if
// the lock is taken or the version exists; 400 on bad input; 503 when
// Redis fails. net/http/pprof is served on the same listener, so
// /debug/pprof/goroutine?debug=2 shows the idle dump the seed complains
// about. Prints "listening PORT" once serving.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gopkg.in/redis.v5"
)

const lockTTL = 30 * time.Second

// releaseScript deletes the lock only if it still holds our token.
const releaseScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`

type server struct {
	rdb     *redis.Client
	storage string
	maxSize int64
	fsync   bool
}

type metadata struct {
	Filename   string `json:"filename"`
	Version    string `json:"version"`
	Checksum   string `json:"checksum"`
	Size       int64  `json:"size"`
	Path       string `json:"path"`
	UploadedAt string `json:"uploaded_at"`
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// validName keeps client names from escaping the storage directory.
func validName(s string) bool {
	if s == "" || len(s) > 255 || s == "." || s == ".." {
		return false
	}
	return !strings.ContainsAny(s, "/\\\x00")
}

func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

//go:noinline
func checksumWorker(data []byte, out *string, wg *sync.WaitGroup) {
	defer wg.Done()
	sum := sha256.Sum256(data)
	*out = hex.EncodeToString(sum[:])
}

//go:noinline
func writeWorker(path string, data []byte, fsync bool, errp *error, wg *sync.WaitGroup) {
	defer wg.Done()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		*errp = err
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		*errp = err
		return
	}
	if _, err = f.Write(data); err == nil && fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	*errp = err
}

func (s *server) upload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		httpError(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxSize)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		httpError(w, http.StatusBadRequest, "bad multipart body: "+err.Error())
		return
	}
	filename, version := r.FormValue("filename"), r.FormValue("version")
	if !validName(filename) || !validName(version) {
		httpError(w, http.StatusBadRequest, "filename and version are required, without '/'")
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		httpError(w, http.StatusBadRequest, "missing file part")
		return
	}
	defer file.Close()

	lockKey := fmt.Sprintf("lock:upload:%s:%s", filename, version)
	token := newToken()
	ok, err := s.rdb.SetNX(lockKey, token, lockTTL).Result()
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, "redis: "+err.Error())
		return
	}
	if !ok {
		httpError(w, http.StatusConflict, "upload of this version in progress")
		return
	}
	defer s.rdb.Eval(releaseScript, []string{lockKey}, token)

	metaKey := fmt.Sprintf("file:%s:%s", filename, version)
	if n, err := s.rdb.Exists(metaKey).Result(); err != nil {
		httpError(w, http.StatusServiceUnavailable, "redis: "+err.Error())
		return
	} else if n {
		httpError(w, http.StatusConflict, "version exists")
		return
	}

	data, err := io.ReadAll(file) // the whole file in memory, as the seed does
	if err != nil {
		httpError(w, http.StatusBadRequest, "reading the file: "+err.Error())
		return
	}
	path := filepath.Join(s.storage, version, filename)
	var checksum string
	var werr error
	var wg sync.WaitGroup
	wg.Add(2)
	go checksumWorker(data, &checksum, &wg)
	go writeWorker(path, data, s.fsync, &werr, &wg)
	wg.Wait()
	if werr != nil {
		httpError(w, http.StatusInternalServerError, "storing the file: "+werr.Error())
		return
	}
	m := metadata{filename, version, checksum, int64(len(data)), path,
		time.Now().UTC().Format(time.RFC3339)}
	err = s.rdb.HMSet(metaKey, map[string]string{
		"filename": m.Filename, "version": m.Version, "checksum": m.Checksum,
		"size": fmt.Sprint(m.Size), "path": m.Path, "uploaded_at": m.UploadedAt,
	}).Err()
	if err != nil {
		os.Remove(path)
		httpError(w, http.StatusServiceUnavailable, "redis: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(m)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "HTTP listen address")
	raddr := flag.String("redis", "127.0.0.1:6379", "Redis address")
	storage := flag.String("storage", "", "storage directory (required)")
	maxSize := flag.Int64("max-size", 1<<30, "largest upload in bytes")
	fsync := flag.Bool("fsync", false, "fsync each file before answering (default false: as the seed's os.WriteFile; the upload benchmark measures both)")
	flag.Parse()
	if *storage == "" {
		fmt.Fprintln(os.Stderr, "goupload: -storage DIR is required")
		os.Exit(2)
	}
	s := &server{
		rdb: redis.NewClient(&redis.Options{Addr: *raddr,
			ReadTimeout: 60 * time.Second, WriteTimeout: 10 * time.Second}),
		storage: *storage, maxSize: *maxSize, fsync: *fsync,
	}
	http.HandleFunc("/upload", s.upload)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goupload:", err)
		os.Exit(1)
	}
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, nil))
}
