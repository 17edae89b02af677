package bulk

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/faultproxy"
	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestStartupPathVsReferences measures, for BENCHMARKS.md, the start of
// the binary with 100 parameters read as one SSM path and as 100 explicit
// references, against moto behind a proxy adding 20 ms to every call, as
// AWS would. It runs only with VALUEFROM_PERF=1 and asserts only that both
// forms start with every variable.
func TestStartupPathVsReferences(t *testing.T) {
	if os.Getenv("VALUEFROM_PERF") == "" {
		t.Skip("set VALUEFROM_PERF=1 to measure")
	}
	vfbin.Need(t)
	moto := mototest.Start(t)
	sd := moto.Seeder(t, "us-east-1")
	var refs []string
	for i := range 100 {
		name := fmt.Sprintf("/perf/app/p%03d", i)
		sd.Parameter(name, ssmtypes.ParameterTypeSecureString, fmt.Sprintf("canary-%03d", i))
		refs = append(refs, fmt.Sprintf("P%03d=ssm:%s", i, name))
	}
	p := faultproxy.Serve(t, moto.URL, faultproxy.Config{Default: faultproxy.Rule{Latency: 20 * time.Millisecond}})
	env := mototest.EndpointEnv(p.URL())
	forms := map[string]func() vfbin.Result{
		"path":       func() vfbin.Result { return vfbin.RunEnv(t, env, "--ssm-path", "/perf/app", "--", "true") },
		"references": func() vfbin.Result { return vfbin.RunEnv(t, slices.Concat(env, refs), "--", "true") },
	}
	const runs = 15
	took := map[string][]time.Duration{}
	for range runs {
		for _, form := range []string{"path", "references"} {
			r := forms[form]()
			if r.Code != 0 {
				t.Fatalf("%s: exit %d: %s", form, r.Code, r.Stderr)
			}
			took[form] = append(took[form], r.Took)
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	for _, form := range []string{"path", "references"} {
		d := took[form]
		slices.Sort(d)
		t.Logf("%-10s 100 parameters, %d runs: min %v, median %v, max %v", form, runs,
			d[0].Round(time.Millisecond), d[runs/2].Round(time.Millisecond), d[runs-1].Round(time.Millisecond))
	}
	t.Logf("proxy: %v; loadavg %s", p.Counts(), load)
}
