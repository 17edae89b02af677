package supervise

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// program is the program valuefrom supervises in these tests: the test
// binary, with programEnv set. It writes what it sees and does to
// stdout, a line per event:
//
//	start pid=P val=V file=F path=PATH   at start: $VAL, the content of $VAL_FILE and its path
//	start pid=P child=C val=V            at start in mode linger: C is its child (mode child)
//	term pid=P                           on SIGTERM, then it exits $TERM_CODE
//	hup pid=P file=F                     on SIGHUP, with the content of $VAL_FILE
//	usr1 pid=P                           on SIGUSR1
//	val pid=P VAL=V GONE=G               on the stdin line "print"
//	orphan pid=P                         each orphan it made (mode orphans)
//	zombies=N                            on the stdin line "zombies"
//	child pid=C val=V                    mode child, on SIGUSR1
//
// Its first argument is its mode: serve (the default) runs until SIGTERM;
// stubborn ignores SIGTERM; linger starts a child in its process group
// that ignores SIGTERM and outlives it, then runs as serve; child is that
// child; exit N exits N; kill kills itself with SIGKILL; split writes
// $VAL in two writes, the second after the stdin line "rest"; orphans
// makes three orphans that exit at once. Stdin lines are commands:
// "print", "rest", "zombies" and "exit N".
func program() {
	mode := "serve"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	pid := os.Getpid()
	switch mode {
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		os.Exit(code)
	case "kill":
		syscall.Kill(pid, syscall.SIGKILL)
		select {}
	case "spawn": // the short-lived parent of orphans
		for range 3 {
			cmd := exec.Command(os.Args[0], "exit", "0")
			cmd.Env = os.Environ()
			if err := cmd.Start(); err != nil {
				fmt.Println("spawn failed:", err)
				os.Exit(3)
			}
			fmt.Printf("orphan pid=%d\n", cmd.Process.Pid)
		}
		os.Exit(0)
	case "child":
		signal.Ignore(syscall.SIGTERM, syscall.SIGHUP)
		sigs := make(chan os.Signal, 8)
		signal.Notify(sigs, syscall.SIGUSR1)
		for range sigs {
			fmt.Printf("child pid=%d val=%s\n", pid, os.Getenv("VAL"))
		}
		return
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1)
	if mode == "stubborn" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		signal.Notify(sigs, syscall.SIGTERM)
	}
	if mode == "linger" {
		cmd := exec.Command(os.Args[0], "child")
		cmd.Env, cmd.Stdout = os.Environ(), os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Println("child failed:", err)
			os.Exit(3)
		}
		fmt.Printf("start pid=%d child=%d val=%s\n", pid, cmd.Process.Pid, os.Getenv("VAL"))
	} else {
		fmt.Printf("start pid=%d val=%s file=%s path=%s\n", pid, os.Getenv("VAL"), readFile(os.Getenv("VAL_FILE")), os.Getenv("VAL_FILE"))
	}
	switch mode {
	case "split":
		v := os.Getenv("VAL")
		os.Stdout.WriteString("split=" + v[:len(v)/2])
		os.Stderr.WriteString("split=" + v[:len(v)/2])
	case "orphans":
		cmd := exec.Command(os.Args[0], "spawn")
		cmd.Env, cmd.Stdout = os.Environ(), os.Stdout
		if err := cmd.Run(); err != nil {
			fmt.Println("spawn failed:", err)
		}
	}
	go commands(mode)
	for sig := range sigs {
		switch sig {
		case syscall.SIGTERM:
			fmt.Printf("term pid=%d\n", pid)
			code, _ := strconv.Atoi(os.Getenv("TERM_CODE"))
			os.Exit(code)
		case syscall.SIGHUP:
			fmt.Printf("hup pid=%d file=%s\n", pid, readFile(os.Getenv("VAL_FILE")))
		case syscall.SIGUSR1:
			fmt.Printf("usr1 pid=%d\n", pid)
		}
	}
}

// commands reads the commands on stdin.
func commands(mode string) {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "print":
			fmt.Printf("val pid=%d VAL=%s GONE=%s\n", os.Getpid(), os.Getenv("VAL"), os.Getenv("GONE"))
		case "rest":
			if mode == "split" {
				v := os.Getenv("VAL")
				os.Stdout.WriteString(v[len(v)/2:] + "\n")
				os.Stderr.WriteString(v[len(v)/2:] + "\n")
			}
		case "zombies":
			fmt.Printf("zombies=%d\n", zombies())
		case "exit":
			code, _ := strconv.Atoi(arg)
			os.Exit(code)
		}
	}
}

// zombies counts the zombie processes in /proc.
func zombies() int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) S ...: the state follows the last ')'.
		s := string(stat)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && strings.HasPrefix(s[i+1:], " Z") {
			n++
		}
	}
	return n
}

func readFile(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "unreadable"
	}
	return string(b)
}
