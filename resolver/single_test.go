package resolver

import "testing"

func TestArnRegion(t *testing.T) {
	tests := []struct{ id, want string }{
		{"app/db", ""},
		{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf", "eu-west-1"},
		{"arn:aws:ssm:ap-south-1:123456789012:parameter/app/url", "ap-south-1"},
		{"/app/url", ""},
	}
	for _, tt := range tests {
		if got := arnRegion(tt.id); got != tt.want {
			t.Errorf("arnRegion(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}
