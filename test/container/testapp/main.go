// Command testapp is the application the container tests put behind
// valuefrom. It is built static and copied into a FROM scratch image.
//
// Every mode first prints "testapp: started" to stdout, so a test can tell
// whether valuefrom ever handed over to it.
//
//	testapp report VAR...  print one JSON object describing the process,
//	                       the image and each VAR; a VAR ending in _FILE
//	                       is also described as the file it names
//	testapp serve          print "ready", wait for SIGTERM, print
//	                       "testapp: got SIGTERM" and exit 0
//	testapp watch          print "watch pid=P ppid=Q zombies=N val=$VAL",
//	                       leave three orphans that exit at once, then
//	                       serve
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// caPaths are the files and directories crypto/x509 reads system roots from
// on Linux (root_linux.go), plus the Alpine and Debian package locations.
var caPaths = []string{
	"/etc/ssl/certs",
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
	"/etc/pki/tls/certs",
	"/usr/share/ca-certificates",
}

// Report is what "testapp report" prints.
type Report struct {
	PID   int                `json:"pid"`
	PPID  int                `json:"ppid"`
	UID   int                `json:"uid"`
	GID   int                `json:"gid"`
	Procs []int              `json:"procs"`    // PIDs visible in /proc
	CA    []string           `json:"ca_paths"` // caPaths that exist
	Env   map[string]*string `json:"env"`      // nil: unset
	Files map[string]*File   `json:"files"`    // by variable name
}

// File describes a file named by a _FILE variable and its directory.
type File struct {
	Path    string `json:"path"`
	Mode    string `json:"mode"` // permission bits, octal
	UID     int    `json:"uid"`
	GID     int    `json:"gid"`
	DirMode string `json:"dir_mode"`
	DirUID  int    `json:"dir_uid"`
	Content string `json:"content"`
	Err     string `json:"error,omitempty"`
}

func main() {
	fmt.Println("testapp: started")
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testapp report VAR... | testapp serve")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "report":
		report(os.Args[2:])
	case "serve":
		serve()
	case "watch":
		watch()
	case "spawn":
		spawn()
	case "exit":
	default:
		fmt.Fprintf(os.Stderr, "testapp: unknown mode %q\n", os.Args[1])
		os.Exit(2)
	}
}

func report(vars []string) {
	r := Report{
		PID:   os.Getpid(),
		PPID:  os.Getppid(),
		UID:   os.Getuid(),
		GID:   os.Getgid(),
		Procs: procs(),
		CA:    []string{},
		Env:   map[string]*string{},
		Files: map[string]*File{},
	}
	for _, p := range caPaths {
		if _, err := os.Lstat(p); err == nil {
			r.CA = append(r.CA, p)
		}
	}
	for _, v := range vars {
		val, ok := os.LookupEnv(v)
		if !ok {
			r.Env[v] = nil
			continue
		}
		r.Env[v] = &val
		if strings.HasSuffix(v, "_FILE") {
			r.Files[v] = describe(val)
		}
	}
	out, err := json.Marshal(r)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testapp:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

func describe(path string) *File {
	f := &File{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		f.Err = err.Error()
		return f
	}
	st := fi.Sys().(*syscall.Stat_t)
	f.Mode = fmt.Sprintf("%04o", fi.Mode().Perm())
	f.UID, f.GID = int(st.Uid), int(st.Gid)
	if di, err := os.Stat(filepath.Dir(path)); err == nil {
		f.DirMode = fmt.Sprintf("%04o", di.Mode().Perm())
		f.DirUID = int(di.Sys().(*syscall.Stat_t).Uid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Err = err.Error()
		return f
	}
	f.Content = string(b)
	return f
}

// procs lists the PIDs visible in this PID namespace.
func procs() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// serve handles SIGTERM as a well-behaved service does. As PID 1 this
// matters: the kernel drops signals that PID 1 has no handler for.
func serve() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	fmt.Printf("ready pid=%d\n", os.Getpid())
	<-sig
	fmt.Println("testapp: got SIGTERM")
}

// watch reports what supervise mode gives it, including the zombies left
// from before it started, then leaves orphans for PID 1 to reap.
func watch() {
	fmt.Printf("watch pid=%d ppid=%d zombies=%d val=%s\n", os.Getpid(), os.Getppid(), zombies(), os.Getenv("VAL"))
	if err := exec.Command("/proc/self/exe", "spawn").Run(); err != nil {
		fmt.Println("testapp: spawn failed:", err)
	}
	serve()
}

// spawn starts three children that exit at once and exits without
// waiting for them: they are orphans, for PID 1 to reap.
func spawn() {
	for range 3 {
		if err := exec.Command("/proc/self/exe", "exit").Start(); err != nil {
			fmt.Println("testapp: spawn failed:", err)
		}
	}
}

// zombies counts the zombie processes in /proc.
func zombies() int {
	n := 0
	for _, pid := range procs() {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if s := string(stat); err == nil && strings.Contains(s[strings.LastIndexByte(s, ')')+1:], " Z ") {
			n++
		}
	}
	return n
}
