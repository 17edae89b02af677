package supervise

import (
	"context"
	"strconv"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestMaskKeepsWhatTheProgramHolds (issue 20, high): with
// --on-change signal:SIGHUP the program keeps the environment it started
// with. After the secret is rotated twice, and a parameter under its
// --ssm-path is deleted, the program still prints its first values, and
// they are still masked.
func TestMaskKeepsWhatTheProgramHolds(t *testing.T) {
	srv := mototest.Start(t)
	sd := srv.Seeder(t, "us-east-1")
	name, path := "supervise/rot", "/supervise/path"
	a, b, c, gone := canary("rot-a"), canary("rot-b"), canary("rot-c"), canary("gone")
	sd.Secret(name, a)
	sd.Parameter(path+"/gone", ssmtypes.ParameterTypeSecureString, gone)
	env := []string{"VAL=secretsmanager:" + name, "VALUEFROM_SSM_PATH=" + path}
	p := start(t, srv, env, watch("--mask", "--on-change", "signal:SIGHUP")...)
	pid := p.Expect(vfbin.Stdout, `^start pid=(\d+) val=(.*)$`)[1]

	changed := func(what string) {
		t.Helper()
		// No file changed: the variables are the environment's.
		p.Expect(vfbin.Stderr, `msg="watch: signalling the program; no file changed" changed=\[`+what+`\]`)
	}
	sd.NewVersion(name, b)
	changed("VAL")
	sd.NewVersion(name, c)
	changed("VAL")
	if _, err := ssm.NewFromConfig(srv.Config(t, "us-east-1")).DeleteParameter(context.Background(),
		&ssm.DeleteParameterInput{Name: aws.String(path + "/gone")}); err != nil {
		t.Fatal(err)
	}
	changed("GONE")
	p.Send("print")
	m := p.Expect(vfbin.Stdout, `^val pid=`+pid+` VAL=(.*) GONE=(.*)$`)
	if m[1] != "[valuefrom:VAL:previous]" {
		t.Errorf("after two rotations the program's first value came out as %d bytes, not [valuefrom:VAL:previous]", len(m[1]))
	}
	if m[2] != "[valuefrom:GONE:previous]" {
		t.Errorf("the deleted parameter's value came out as %d bytes, not [valuefrom:GONE:previous]", len(m[2]))
	}
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	vfbin.NoValue(t, "valuefrom's output", p.Output(), a, b, c, gone)
}

// TestMaskKeepsALingeringGroup (issue 20, high): in restart mode, a child
// that the old program left in its process group (it ignores SIGTERM)
// keeps the old value: after two restarts both old programs' children
// print theirs, masked.
func TestMaskKeepsALingeringGroup(t *testing.T) {
	srv := mototest.Start(t)
	sd := srv.Seeder(t, "us-east-1")
	name := "supervise/linger"
	values := []string{canary("linger-a"), canary("linger-b"), canary("linger-c")}
	sd.Secret(name, values[0])
	p := start(t, srv, []string{"VAL=secretsmanager:" + name}, append(watch("--mask"), "linger")...)
	var children []int
	for i, v := range values {
		if i > 0 {
			sd.NewVersion(name, v)
		}
		m := p.Expect(vfbin.Stdout, `^start pid=(\d+) child=(\d+) val=(.*)$`)
		if m[3] != "[valuefrom:VAL]" {
			t.Errorf("start %d: the value came out as %d bytes, not [valuefrom:VAL]", i, len(m[3]))
		}
		child, _ := strconv.Atoi(m[2])
		children = append(children, child)
		t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })
	}
	for i, child := range children[:2] {
		if err := syscall.Kill(child, syscall.SIGUSR1); err != nil {
			t.Fatalf("child %d of start %d: %v", child, i, err)
		}
		m := p.Expect(vfbin.Stdout, `^child pid=`+strconv.Itoa(child)+` val=(.*)$`)
		if m[1] != "[valuefrom:VAL:previous]" {
			t.Errorf("the child of start %d printed its value as %d bytes, not [valuefrom:VAL:previous]", i, len(m[1]))
		}
	}
	for _, child := range children {
		syscall.Kill(child, syscall.SIGKILL)
	}
	p.Signal(syscall.SIGTERM)
	p.Wait()
	vfbin.NoValue(t, "valuefrom's output", p.Output(), values...)
}
