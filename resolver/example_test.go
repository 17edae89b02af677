package resolver_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// A caller adds its own hints to failures through Config.Hint: the
// resolver names the variable, the reference and the code, and leaves
// what to do about it to the program that knows its settings.
func ExampleConfig_hint() {
	ref, _ := reference.Parse("ssm:/app/db-url")
	r := resolver.New(resolver.Config{
		// No default region, so the short form fails before any call.
		Hint: func(e *resolver.Error) string {
			if e.Code == resolver.CodeNoRegion {
				return "set AWS_REGION"
			}
			return ""
		},
	})
	_, err := r.Resolve(context.Background(), []reference.Request{{Var: "DB_URL", Ref: ref}})
	var errs resolver.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Println(e)
			fmt.Println("hint:", e.Hint)
		}
	}
	// Output:
	// DB_URL: ssm:/app/db-url: NoRegion: no default region for a short-form reference
	// hint: set AWS_REGION
}
