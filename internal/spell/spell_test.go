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
