package perf

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cfsPeriod is the scheduler period of the quotas cpuQuota sets, in
// microseconds: the kernel's default, and what container runtimes set.
const cfsPeriod = 100_000

// A cpuQuota makes cgroups, beside the test process's own, whose
// processes share cores cores of CPU time (cgroup v2 cpu.max, or v1
// cpu.cfs_quota_us).
type cpuQuota struct {
	base  string // the parent cgroup's directory
	v2    bool
	quota int // microseconds per cfsPeriod
	made  int
}

// newCPUQuota returns a cpuQuota of cores after making (and removing) one
// cgroup with it, or why it cannot: it needs root, or a cgroup tree
// delegated to the user.
func newCPUQuota(cores float64) (*cpuQuota, error) {
	base, v2, err := cpuCgroup()
	if err != nil {
		return nil, err
	}
	q := &cpuQuota{base: base, v2: v2, quota: int(cores * cfsPeriod)}
	dir, err := q.make()
	if err != nil {
		return nil, err
	}
	return q, os.Remove(dir)
}

// in runs f with a new cgroup with the quota, whose directory it gives
// f for launch -cgroup, and removes the cgroup once f returns (its
// processes have exited then). Each run has its own, so that each
// starts with the whole quota of a period: runs in one cgroup, one after
// another, would find it partly spent by the run before (three starts of
// 8 ms of CPU within 100 ms spend a 0.25 core's 25 ms). A task's cgroup
// is new when its process starts, too.
func (q *cpuQuota) in(t *testing.T, f func(dir string)) {
	t.Helper()
	dir, err := q.make()
	if err != nil {
		t.Fatalf("a cgroup for the CPU quota: %v", err)
	}
	f(dir)
	if err := os.Remove(dir); err != nil {
		t.Errorf("removing the CPU quota's cgroup: %v", err)
	}
}

func (q *cpuQuota) make() (string, error) {
	q.made++
	dir := filepath.Join(q.base, fmt.Sprintf("valuefrom-bench-%d-%d-%d", os.Getpid(), q.quota, q.made))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	var err error
	if q.v2 {
		err = os.WriteFile(filepath.Join(dir, "cpu.max"), fmt.Appendf(nil, "%d %d", q.quota, cfsPeriod), 0)
	} else {
		err = os.WriteFile(filepath.Join(dir, "cpu.cfs_period_us"), fmt.Appendf(nil, "%d", cfsPeriod), 0)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "cpu.cfs_quota_us"), fmt.Appendf(nil, "%d", q.quota), 0)
		}
	}
	if err != nil {
		os.Remove(dir)
		return "", err
	}
	return dir, nil
}

// cpuCgroup finds the cgroup of this process that the cpu controller
// governs: on cgroup v2 when the cpu controller is enabled for the
// children of the process's cgroup (or can be), else on v1's cpu
// hierarchy.
func cpuCgroup() (dir string, v2 bool, err error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return "", false, err
	}
	paths, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", false, err
	}
	var tried []string
	for line := range strings.Lines(string(paths)) {
		// hierarchy-ID:controller-list:path
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "" && mounts.v2 != "":
			dir := filepath.Join(mounts.v2, f[2])
			sub := filepath.Join(dir, "cgroup.subtree_control")
			if !hasWord(sub, "cpu") {
				// Enabling it fails where this cgroup holds processes
				// (the no-internal-process rule) or is not ours.
				if err := os.WriteFile(sub, []byte("+cpu"), 0); err != nil {
					tried = append(tried, fmt.Sprintf("cgroup v2 %s: the cpu controller is not enabled for its children (%v)", dir, err))
					continue
				}
			}
			return dir, true, nil
		case slices.Contains(strings.Split(f[1], ","), "cpu") && mounts.v1cpu != "":
			return filepath.Join(mounts.v1cpu, f[2]), false, nil
		}
	}
	tried = append(tried, "no cgroup v1 cpu hierarchy")
	return "", false, errors.New(strings.Join(tried, "; "))
}

type mounts struct{ v2, v1cpu string }

// cgroupMounts reads where the cgroup v2 tree and the v1 cpu hierarchy
// are mounted, from /proc/self/mountinfo.
func cgroupMounts() (mounts, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return mounts{}, err
	}
	defer f.Close()
	var m mounts
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ... mount-point ... - fstype source super-options
		pre, post, ok := strings.Cut(s.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 {
			continue
		}
		switch {
		case qf[0] == "cgroup2":
			m.v2 = pf[4]
		case qf[0] == "cgroup" && slices.Contains(strings.Split(qf[2], ","), "cpu"):
			m.v1cpu = pf[4]
		}
	}
	return m, s.Err()
}

// hasWord says whether the file holds word among its space-separated
// words.
func hasWord(file, word string) bool {
	b, err := os.ReadFile(file)
	return err == nil && slices.Contains(strings.Fields(string(b)), word)
}
