package preflight

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"golang.org/x/sync/errgroup"

	"github.com/valuefrom/valuefrom/internal/awsapi"
	"github.com/valuefrom/valuefrom/resolver"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// A Replica is a secret's copy in a fallback region (see
// Config.FallbackRegions): what a task would read there when the secret's
// own region fails.
type Replica struct {
	Region string `json:"region"`
	// Exists says a copy is there: a replica that the secret's
	// ReplicationStatus lists, or a secret of the same name (or ARN, with
	// the region replaced) that DescribeSecret finds there.
	Exists Status `json:"exists"`
	// Status is the replica's ReplicationStatus: InSync, InProgress or
	// Failed; "standalone" for a secret of the same name that is no
	// replica of this one; empty when there is none.
	Status string `json:"status,omitempty"`
	KMS    *Key   `json:"kms,omitempty"` // the key that encrypts the copy there
}

// Problem codes of fallback regions.
const (
	CodeNoReplica        = "NoReplicaInFallbackRegion"
	CodeReplicaNotInSync = "ReplicaNotInSync"
	CodeReplicaKey       = "ReplicaKMSKey" // followed by the key's state: ReplicaKMSKeyDisabled, ...
)

// replica is a Replica with the facts gathered for it.
type replica struct {
	*Replica
	keyID string
	key   *keyFacts
}

// examineReplicas finds, for every Secrets Manager row that exists, its
// copy in each fallback region and the state of the key that encrypts
// it: DescribeSecret's ReplicationStatus first, else DescribeSecret in
// the fallback region (a same-named secret that someone keeps in step).
func (c *Checker) examineReplicas(ctx context.Context, rows []*row) {
	if len(c.cfg.FallbackRegions) == 0 {
		return
	}
	var g errgroup.Group
	g.SetLimit(max(c.cfg.Concurrency, 1))
	keys := map[keyAt]*keyFacts{}
	for _, r := range rows {
		if r.ref.Service != reference.SecretsManager || r.Exists != Yes {
			continue
		}
		for _, region := range c.cfg.FallbackRegions {
			if region == r.Region {
				continue
			}
			rep := &replica{Replica: &Replica{Region: region, Exists: Unknown}}
			r.replicas = append(r.replicas, rep)
			if s, ok := listed(r.replication, region); ok {
				rep.Exists, rep.Status = Yes, string(s.Status)
				rep.keyID = aws.ToString(s.KmsKeyId)
				continue
			}
			g.Go(func() error {
				c.describeCopy(ctx, r, rep)
				return nil
			})
		}
	}
	g.Wait()
	for _, r := range rows {
		for _, rep := range r.replicas {
			if rep.Exists != Yes {
				continue
			}
			if rep.keyID == "" {
				rep.keyID = SecretsManagerKey
			}
			at := keyAt{region: keyRegion(rep.keyID, rep.Region), id: rep.keyID}
			if keys[at] == nil {
				keys[at] = &keyFacts{at: at}
				g.Go(func() error {
					c.describeKey(ctx, keys[at])
					return nil
				})
			}
			rep.key = keys[at]
		}
	}
	g.Wait()
	for _, r := range rows {
		for _, rep := range r.replicas {
			if rep.key != nil {
				rep.KMS = rep.key.summary()
			}
			r.Replicas = append(r.Replicas, *rep.Replica)
		}
	}
}

// listed returns region's entry of a secret's ReplicationStatus.
func listed(statuses []smtypes.ReplicationStatusType, region string) (smtypes.ReplicationStatusType, bool) {
	for _, s := range statuses {
		if aws.ToString(s.Region) == region {
			return s, true
		}
	}
	return smtypes.ReplicationStatusType{}, false
}

// describeCopy looks for a secret that is no replica of r's but would be
// read in its place in the fallback region: the same name, or the ARN
// with the region replaced.
func (c *Checker) describeCopy(ctx context.Context, r *row, rep *replica) {
	id := resolver.InRegion(r.ref, rep.Region).ID()
	out, err := c.secrets.Get(rep.Region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	switch e := awsapi.Classify(err); {
	case err == nil:
		rep.Exists, rep.Status, rep.keyID = Yes, "standalone", aws.ToString(out.KmsKeyId)
		if p := aws.ToString(out.PrimaryRegion); p != "" {
			rep.Status = "replica of " + p
		}
	case e.NotFound:
		rep.Exists = No
	default:
		r.Unchecked = append(r.Unchecked, deniedf("secretsmanager:DescribeSecret", e.Code, "the copy in "+rep.Region))
	}
}

// judgeReplicas adds the problems of the fallback regions: one without a
// copy, or with a copy out of sync, is a warning; one whose key cannot
// decrypt (disabled, pending deletion) is a failure of that fallback.
func (r *row) judgeReplicas() {
	for _, rep := range r.Replicas {
		switch {
		case rep.Exists == No:
			r.problem(Warning, CodeNoReplica, "no replica in the fallback region "+rep.Region+": a task cannot start from there when "+r.Region+" is down",
				"replicate the secret: aws secretsmanager replicate-secret-to-regions --region "+r.Region+" --secret-id "+r.ref.ID()+
					" --add-replica-regions Region="+rep.Region+" (with KmsKeyId= a key of "+rep.Region+", such as a multi-Region replica key)")
			continue
		case rep.Status != "" && rep.Status != string(smtypes.StatusTypeInSync) && rep.Status != "standalone":
			r.problem(Warning, CodeReplicaNotInSync, "the replica in "+rep.Region+" is "+rep.Status+": it may hold another value than "+r.Region,
				"see its StatusMessage: aws secretsmanager describe-secret --region "+r.Region+" --secret-id "+r.ref.ID())
		}
		if k := rep.KMS; k != nil {
			switch k.State {
			case "Disabled", "PendingDeletion", "PendingReplicaDeletion", "Unavailable":
				r.problem(Fail, CodeReplicaKey+k.State, fmt.Sprintf("the replica in %s is encrypted by KMS key %s, which is %s: the fallback to %s cannot decrypt it",
					rep.Region, k.ID, k.State, rep.Region),
					"enable the key (aws kms cancel-key-deletion / enable-key --region "+rep.Region+" --key-id "+k.ID+"), or re-encrypt the replica under a usable key of "+rep.Region)
			case "NotFound":
				if k.Manager != "aws" {
					r.problem(Fail, CodeReplicaKey+k.State, "the replica in "+rep.Region+" is encrypted by KMS key "+k.ID+", which does not exist there",
						"re-encrypt the replica under a key of "+rep.Region+", such as a replica of a multi-Region key")
				}
			}
		}
	}
}
