package preflight

import (
	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/internal/awsapi/kms"

	"context"
	"strings"
	"time"
)

// keyAt is a KMS key as named by a secret or parameter, and the region to
// ask about it in.
type keyAt struct{ region, id string }

// keyFacts is what KMS said about one key.
type keyFacts struct {
	at        keyAt
	meta      *kms.KeyMetadata // nil when DescribeKey failed
	notFound  bool
	rotation  Status
	unchecked []string
}

// describeKey asks KMS for the key's metadata and rotation status.
func (c *Checker) describeKey(ctx context.Context, k *keyFacts) {
	k.rotation = Unknown
	cl := c.keys.Get(k.at.region)
	meta, err := cl.DescribeKey(ctx, k.at.id)
	if err != nil {
		switch e := awsapi.Classify(err); {
		case e.NotFound:
			k.notFound = true
		case e.Denied:
			k.unchecked = append(k.unchecked, deniedf("kms:DescribeKey", e.Code, "the state of key "+k.at.id))
		default:
			k.unchecked = append(k.unchecked, deniedf("kms:DescribeKey", e.Code, awsapi.Message(err)))
		}
		return
	}
	k.meta = &meta
	if k.meta.KeySpec != kms.KeySpecSymmetric || k.meta.Origin == kms.KeyOriginExternal {
		k.rotation = NotApplicable
		return
	}
	rotates, err := cl.GetKeyRotationStatus(ctx, k.meta.Arn)
	switch e := awsapi.Classify(err); {
	case err == nil:
		k.rotation = No
		if rotates {
			k.rotation = Yes
		}
	case e.Denied:
		k.unchecked = append(k.unchecked, deniedf("kms:GetKeyRotationStatus", e.Code, "whether key "+k.at.id+" rotates"))
	default:
		// Keys in some states and stores have no rotation status.
		k.rotation = Unknown
	}
}

// managed reports whether the key is AWS-managed. An alias under
// alias/aws/ always names one.
func (k *keyFacts) managed() string {
	switch {
	case isAWSManaged(k.at.id):
		return "aws"
	case k.meta == nil:
		return "unknown"
	case k.meta.KeyManager == kms.KeyManagerAWS:
		return "aws"
	}
	return "customer"
}

// summary is the key as a row reports it.
func (k *keyFacts) summary() *Key {
	key := &Key{ID: k.at.id, Manager: k.managed(), State: "unknown", Rotation: k.rotation}
	if k.notFound {
		key.State = "NotFound"
		return key
	}
	if k.meta == nil {
		return key
	}
	key.ARN = k.meta.Arn
	key.State = k.meta.KeyState
	if k.meta.DeletionDate != nil {
		d := k.meta.DeletionDate.UTC().Truncate(time.Second)
		key.DeletionDate = &d
	}
	if k.meta.MultiRegion && k.meta.MultiRegionKeyType != "" {
		key.MultiRegion = strings.ToLower(k.meta.MultiRegionKeyType)
	}
	return key
}

// arn returns the key's ARN for an IAM policy: KMS's answer, else the
// ARN or key id as the secret or parameter named it. It returns "" when
// only an alias is known, which IAM cannot use to grant kms:Decrypt.
func (k *keyFacts) arn(partition, account string) string {
	if k.meta != nil && k.meta.Arn != "" {
		return k.meta.Arn
	}
	id := k.at.id
	switch {
	case strings.HasPrefix(id, "arn:") && strings.Contains(id, ":key/"):
		return id
	case strings.HasPrefix(id, "arn:"), strings.HasPrefix(id, "alias/"), account == "":
		return ""
	}
	return "arn:" + partition + ":kms:" + k.at.region + ":" + account + ":key/" + id
}
