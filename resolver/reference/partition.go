package reference

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

//go:generate go run ./internal/genpartitions -o partitions.go

// A partition is a group of AWS regions with ARNs and endpoints of its
// own, as the AWS SDK describes it (see partitions.go).
type partition struct {
	ID            string   // as in ARNs: aws, aws-cn, aws-us-gov, ...
	RegionPattern string   // matches the partition's regions, new ones too
	DNSSuffix     string   // of its endpoints: amazonaws.com, amazonaws.eu, ...
	Regions       []string // the regions the SDK lists, and pseudo-regions such as aws-global
}

// regionPatterns returns each partition's RegionPattern, compiled, in the
// order of partitions. They are compiled on first use, not at init: a start
// without a reference never needs them.
var regionPatterns = sync.OnceValue(func() []*regexp.Regexp {
	res := make([]*regexp.Regexp, len(partitions))
	for i, p := range partitions {
		res[i] = regexp.MustCompile(p.RegionPattern)
	}
	return res
})

// partitionOf returns the partition of region: the one that lists it, or
// else the first whose pattern matches it; nil for none.
func partitionOf(region string) *partition {
	for i := range partitions {
		for _, r := range partitions[i].Regions {
			if r == region {
				return &partitions[i]
			}
		}
	}
	if !patterns().regionShape.MatchString(region) {
		return nil
	}
	for i, re := range regionPatterns() {
		if re.MatchString(region) {
			return &partitions[i]
		}
	}
	return nil
}

// partitionByID returns the partition called id, or nil.
func partitionByID(id string) *partition {
	for i := range partitions {
		if partitions[i].ID == id {
			return &partitions[i]
		}
	}
	return nil
}

// partitionIDs lists the partitions' names, for errors.
func partitionIDs() string {
	ids := make([]string, len(partitions))
	for i, p := range partitions {
		ids[i] = p.ID
	}
	return strings.Join(ids, ", ")
}

// IsRegion reports whether s is a region of a known partition: it
// matches the region pattern of one of the partitions of the AWS SDK in
// go.mod (which takes new regions of those partitions too), in lower
// case. Pseudo-regions such as aws-global are not regions.
func IsRegion(s string) bool {
	if !patterns().regionShape.MatchString(s) {
		return false
	}
	for _, re := range regionPatterns() {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// PartitionOf returns the partition a region belongs to, for the ARNs of
// short-form references, which name none: the partition that lists the
// region or whose pattern matches it, and "aws" for a region it does not
// know, as the SDK does.
func PartitionOf(region string) string {
	if p := partitionOf(region); p != nil {
		return p.ID
	}
	return "aws"
}

// DNSSuffix returns the DNS suffix of a partition's endpoints, such as
// amazonaws.com for aws and amazonaws.com.cn for aws-cn, and that of aws
// for a partition it does not know, as the SDK does.
func DNSSuffix(partition string) string {
	if p := partitionByID(partition); p != nil {
		return p.DNSSuffix
	}
	return partitionByID("aws").DNSSuffix
}

// RegionExists reports whether s is a region the partition data of the
// SDK in go.mod lists, rather than a name that only fits a partition's
// pattern (us-east-9), or a pseudo-region (aws-global). A region in an
// ARN must exist; AWS_REGION may name one launched since (see IsRegion).
func RegionExists(s string) bool {
	if !IsRegion(s) {
		return false
	}
	for i := range partitions {
		if slices.Contains(partitions[i].Regions, s) {
			return true
		}
	}
	return false
}
