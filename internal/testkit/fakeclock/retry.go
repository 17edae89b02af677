package fakeclock

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// RetryAtOnce returns cfg with its retryer wrapped so that a retry comes
// at once instead of after a backoff: which errors are retried, and how
// many attempts a call gets, are the wrapped retryer's still. cfg's
// retryer must be a RetryerV2, as the SDK's standard and adaptive ones
// are.
func RetryAtOnce(cfg aws.Config) aws.Config {
	next := cfg.Retryer
	cfg.Retryer = func() aws.Retryer { return atOnce{next().(aws.RetryerV2)} }
	return cfg
}

// atOnce is a retryer that waits no time between attempts.
type atOnce struct{ aws.RetryerV2 }

func (atOnce) RetryDelay(int, error) (time.Duration, error) { return 0, nil }
