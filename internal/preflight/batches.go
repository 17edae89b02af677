package preflight

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"golang.org/x/sync/errgroup"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// batchDeniedHint says what to do when IAM denies BatchGetSecretValue.
const batchDeniedHint = `grant the task role secretsmanager:BatchGetSecretValue on resource "*" (valuefrom policy writes the statement), ` +
	"or set VALUEFROM_BATCH_SECRETS=false; if the identity running the check differs from the task role, this is about the former"

// checkBatches warns when a start would be denied BatchGetSecretValue.
// Unless Config.NoSecretBatches is set, it makes one BatchGetSecretValue
// call in each region where a start would batch secrets (see
// resolver.SecretBatches), for the ids of the region's first batch, and
// on IAM's denial warns on the row of every secret a start would batch
// there: each start makes one denied call in that region, then asks for
// the secrets one by one. It says nothing of any other failure, which
// the secrets' own checks report. It reads the values, as checkSecret
// does, and drops them.
func (c *Checker) checkBatches(ctx context.Context, rows []*row) {
	if c.cfg.NoSecretBatches {
		return
	}
	var reqs []reference.Request
	var of []*row // of[i] is the row of reqs[i]
	for _, r := range rows {
		if r.Parses && !r.path && r.ref.Service == reference.SecretsManager {
			reqs = append(reqs, reference.Request{Var: r.Var, Ref: r.ref})
			of = append(of, r)
		}
	}
	byRegion := map[string][]resolver.SecretBatch{}
	for _, b := range resolver.SecretBatches(reqs, c.cfg.AWS.Region) {
		byRegion[b.Region] = append(byRegion[b.Region], b)
	}

	var mu sync.Mutex
	denied := map[string]awsapi.Class{}
	var g errgroup.Group
	g.SetLimit(max(c.cfg.Concurrency, 1))
	for region, batches := range byRegion {
		g.Go(func() error {
			ctx := awsapi.WithResponseLimit(ctx, awsapi.MaxBatchResponseBytes)
			_, err := c.secrets.Get(region).BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: batches[0].IDs})
			if e := awsapi.Classify(err); err != nil && e.ActionDenied() {
				mu.Lock()
				denied[region] = e
				mu.Unlock()
			}
			return nil
		})
	}
	g.Wait()

	for _, region := range slices.Sorted(maps.Keys(denied)) {
		msg := "secretsmanager:BatchGetSecretValue is denied in " + region + " (" + denied[region].Code +
			"): every start makes one denied call there (an AccessDenied event in CloudTrail, a warning in the log), then asks for this secret with a GetSecretValue call of its own"
		for _, b := range byRegion[region] {
			for _, i := range b.Requests {
				of[i].problem(Warning, CodeBatchDenied, msg, batchDeniedHint)
			}
		}
	}
}
