package awsapi

import (
	"github.com/valuefrom/valuefrom/internal/exitcode"
	"github.com/valuefrom/valuefrom/resolver/reference"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// ErrNoRegion says no default region could be found.
var ErrNoRegion error = &exitcode.UsageError{Err: errors.New("no AWS region: " + NoRegionHint)}

// NoRegionHint says what to do about a short-form reference with no
// default region, in every message that says it.
const NoRegionHint = "set AWS_REGION (or AWS_DEFAULT_REGION, or pass --region), or use a full ARN, which carries its region"

// metadataTimeout bounds each look-up of the region in metadata services,
// which on a laptop do not answer at all.
const metadataTimeout = 2 * time.Second

// FindRegion returns the default region when the SDK configuration has
// none, as in containers on ECS on EC2, which do not set AWS_REGION: from
// the ECS task metadata endpoint (ECS_CONTAINER_METADATA_URI_V4), then from
// the EC2 instance metadata service (unless AWS_EC2_METADATA_DISABLED is
// true). It returns ErrNoRegion when neither answers. It reads at most
// MaxResponseBytes of either's answer.
func FindRegion(ctx context.Context, cfg aws.Config, getenv func(string) string) (string, error) {
	if cfg.Region != "" {
		return cfg.Region, nil
	}
	if uri := getenv("ECS_CONTAINER_METADATA_URI_V4"); uri != "" {
		if region, err := ecsRegion(ctx, uri); err == nil {
			return region, nil
		}
	}
	if !strings.EqualFold(getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
		defer cancel()
		out, err := imds.NewFromConfig(cfg, func(o *imds.Options) {
			o.APIOptions = append(o.APIOptions, LimitResponses)
		}).GetRegion(ctx, &imds.GetRegionInput{})
		if err == nil && reference.IsRegion(out.Region) {
			return out.Region, nil
		}
	}
	return "", ErrNoRegion
}

// ecsRegion reads the region from the task ARN in the ECS task metadata.
func ecsRegion(ctx context.Context, uri string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(uri, "/")+"/task", nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("task metadata: %s", resp.Status)
	}
	var task struct{ TaskARN string }
	if err := json.NewDecoder(LimitBody(resp.Body, MaxResponseBytes)).Decode(&task); err != nil {
		return "", fmt.Errorf("task metadata: %w", err)
	}
	// arn:aws:ecs:REGION:ACCOUNT:task/...
	f := strings.Split(task.TaskARN, ":")
	if len(f) < 6 || !reference.IsRegion(f[3]) {
		return "", fmt.Errorf("task metadata: no region in task ARN %q", task.TaskARN)
	}
	return f[3], nil
}

// RequestRegion returns the region a request goes to: named, the region
// a reference or an ARN names, or else def, the default region, which
// short-form references use. It returns ErrNoRegion when both are empty.
func RequestRegion(named, def string) (string, error) {
	switch {
	case named != "":
		return named, nil
	case def != "":
		return def, nil
	}
	return "", ErrNoRegion
}
