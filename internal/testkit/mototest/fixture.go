package mototest

import "testing"

// Account is moto's default account id, which its ARNs carry.
const Account = "123456789012"

// Canary is in every secret value of the Fixture: where it shows up in a
// log, an error or an output that should hold none, a value leaked.
// Failure messages must not print the values either; print lengths, or
// say "value not shown".
const Canary = "canary"

// DBPassword is the "password" key of the Fixture's JSON secret app/db;
// its "user" key is DBUser.
const (
	DBPassword = "canary-db-password-5d2e"
	DBUser     = "admin"
)

// StableLabel is the label of Fixture.TokenV1.
const StableLabel = "stable"

// Fixture is the standard set of secrets and parameters that Seed creates,
// in us-east-1 except Regional. Tests read names, ARNs, version ids and
// expected values from it rather than restating them.
type Fixture struct {
	DB              Secret    // app/db: JSON with the keys user (DBUser) and password (DBPassword)
	Plain           Secret    // plain: a string with a newline, '=' and non-ASCII letters
	Binary          Secret    // binary: a SecretBinary with NUL and 0xff bytes
	Rotated         Secret    // rotated: its current version
	RotatedPrevious Secret    // rotated: the version Rotated replaced, now AWSPREVIOUS
	Regional        Secret    // regional, in us-west-2
	URL             Parameter // /app/url: a String, not secret
	Hosts           Parameter // /app/hosts: a StringList
	Token           Parameter // /app/token: a SecureString at version 2
	TokenV1         Parameter // /app/token version 1, labelled StableLabel
}

// Seed creates the Fixture in srv.
func Seed(tb testing.TB, srv *Server) Fixture {
	tb.Helper()
	east, west := srv.Seeder(tb, "us-east-1"), srv.Seeder(tb, "us-west-2")
	var f Fixture
	f.DB = east.JSONSecret("app/db", map[string]string{"user": DBUser, "password": DBPassword})
	f.Plain = east.Secret("plain", "line1\nline2=canary-plain-9b1f ünïcødé ☃")
	f.Binary = east.BinarySecret("binary", []byte("\x00\x01canary-binary-c0de\xff"))
	f.RotatedPrevious = east.Secret("rotated", "canary-rotated-old-31e8")
	f.Rotated = east.NewVersion("rotated", "canary-rotated-new-7a21")
	f.Regional = west.Secret("regional", "canary-regional-0a4d")
	f.URL = east.Parameter("/app/url", "String", "https://example.com/?a=b&c=d")
	f.Hosts = east.Parameter("/app/hosts", "StringList", "a,b,c")
	f.TokenV1 = east.Parameter("/app/token", "SecureString", "v1-canary-token-77c3")
	east.Label(f.TokenV1, StableLabel)
	f.Token = east.Parameter("/app/token", "SecureString", "v2-canary-token-77c3")
	return f
}
