package runenv

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/testkit/vfbin"
)

// TestEvalUnderSetE pins what docs/local-development.md and env -h say: under set -e,
// eval "$(valuefrom env)" goes on when env fails; the documented idiom
// stops.
func TestEvalUnderSetE(t *testing.T) {
	bin := vfbin.Need(t)
	for _, tt := range []struct {
		script   string
		wantMore bool
	}{
		{`set -e; eval "$(VF env)"; echo went-on`, true},
		{`set -e; env_out=$(VF env) || exit; eval "$env_out"; echo went-on`, false},
		{`env_out=$(VF env) || exit; eval "$env_out"; echo went-on`, false},
	} {
		for _, sh := range []string{"sh", "bash", "dash"} {
			path, err := exec.LookPath(sh)
			if err != nil {
				continue
			}
			cmd := exec.Command(path, "-c", strings.ReplaceAll(tt.script, "VF", bin))
			// A short-form reference with no region: env fails, exit 2.
			cmd.Env = []string{"PATH=/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "S=ssm:/p"}
			out, _ := cmd.Output()
			if got := strings.Contains(string(out), "went-on"); got != tt.wantMore {
				t.Errorf("%s: %s: went on: %v, want %v", sh, tt.script, got, tt.wantMore)
			}
		}
	}
}
