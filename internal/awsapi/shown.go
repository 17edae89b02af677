package awsapi

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
)

// processOutputHidden replaces the SDK's message for a credential_process
// whose output does not parse: the SDK quotes the whole output, which may
// hold the very keys it failed to read.
const processOutputHidden = "credential_process printed output that is not valid credentials JSON " +
	"(the output is not shown: it may hold keys); run the command by hand to see it"

// shown returns err's text as an error line may show it: with what a
// credential_process printed left out, and control, format and separator
// characters escaped, so that the line can be neither split nor reversed.
func shown(err error) string {
	var pe *processcreds.ProviderError
	if errors.As(err, &pe) && pe.Err != nil && strings.Contains(pe.Err.Error(), "process output") {
		return processOutputHidden
	}
	return escapeUnsafe(err.Error())
}

// escapeUnsafe escapes, as Go would quote them, the characters of s that
// could split or disorder a log line.
func escapeUnsafe(s string) string {
	unsafe := func(r rune) bool {
		return r == utf8RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
	}
	if !strings.ContainsFunc(s, unsafe) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafe(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

const utf8RuneError = '\uFFFD'
