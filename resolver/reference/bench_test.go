package reference

import "testing"

// BenchmarkIsOrdinary is Is over the values of a container's environment
// that are no references, as every start tests each one: the near-miss
// checks must keep it cheap.
func BenchmarkIsOrdinary(b *testing.B) {
	values := []string{
		"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "/root", "production", "8080", "info",
		"postgres://app@db.internal:5432/app", "https://api.example.com/v1", "true", "en_US.UTF-8", "xterm",
		"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:s3:::bucket/app.env",
		"arn:aws:ssm:us-east-1:123456789012:document/RunMyScript", "secretary:jane", "ssh://git@github.com/org/repo.git",
		"s3cr3t-value-with:colons:in:it", "secrets-and-more:things", "9f86d081884c7d659a2feaa0c55ad015",
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range values {
			if Is(v) {
				b.Fatalf("Is(%q) = true", v)
			}
		}
	}
}
