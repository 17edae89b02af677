package spell

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"ssm", "ssm", 0},
		{"", "ssm", 3},
		{"secretmanager", "secretsmanager", 1},  // a letter left out
		{"secretsmanger", "secretsmanager", 1},  // another
		{"secretsmanagre", "secretsmanager", 1}, // two letters swapped
		{"secrets-manager", "secretsmanager", 1},
		{"scretmanager", "secretsmanager", 2},
		{"sms", "ssm", 1}, // a swap
		{"kms", "ssm", 2},
		{"TTL", "FOO", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d: not symmetric", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestDistanceFold(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"SecretManager", "secretsmanager", 1},
		{"SSM", "ssm", 0},
		{"VALUEFROM_TIMOUT", "valuefrom_timeout", 1},
		{"Parameter", "parameter", 0},
	}
	for _, tt := range tests {
		if got := DistanceFold(tt.a, tt.b); got != tt.want {
			t.Errorf("DistanceFold(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got := Distance("SSM", "ssm"); got != 3 {
		t.Errorf("Distance(SSM, ssm) = %d, want 3: Distance minds case", got)
	}
	// Long words take the heap, with the same answers.
	long := "secretsmanager-secretsmanager-secretsmanager"
	if got := Distance(long, long+"x"); got != 1 {
		t.Errorf("Distance of long words = %d, want 1", got)
	}
}

func TestDistanceAllocates(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { DistanceFold("secrets-and-more", "secretsmanager") }); n != 0 {
		t.Errorf("DistanceFold of short words: %v allocations, want none", n)
	}
}
