package reference

import (
	"strings"
	"testing"
)

// TestPartitions: the partitions and their regions come from the SDK's
// partition data, aws-eusc included (issue 12, item 12).
func TestPartitions(t *testing.T) {
	tests := []struct {
		region, partition, suffix string
	}{
		{"us-east-1", "aws", "amazonaws.com"},
		{"eu-west-3", "aws", "amazonaws.com"},
		{"mx-central-1", "aws", "amazonaws.com"},
		{"cn-north-1", "aws-cn", "amazonaws.com.cn"},
		{"cn-northwest-1", "aws-cn", "amazonaws.com.cn"},
		{"us-gov-west-1", "aws-us-gov", "amazonaws.com"},
		{"eusc-de-east-1", "aws-eusc", "amazonaws.eu"},
		{"us-iso-east-1", "aws-iso", "c2s.ic.gov"},
		{"us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"},
		{"eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk"},
		{"us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov"},
	}
	for _, tt := range tests {
		if !IsRegion(tt.region) {
			t.Errorf("IsRegion(%q) = false, want true", tt.region)
		}
		if got := PartitionOf(tt.region); got != tt.partition {
			t.Errorf("PartitionOf(%q) = %q, want %q", tt.region, got, tt.partition)
		}
		if got := DNSSuffix(tt.partition); got != tt.suffix {
			t.Errorf("DNSSuffix(%q) = %q, want %q", tt.partition, got, tt.suffix)
		}
		arn := "arn:" + tt.partition + ":secretsmanager:" + tt.region + ":123456789012:secret:x"
		if r, err := Parse(arn); err != nil || r.Partition != tt.partition || r.Region != tt.region {
			t.Errorf("Parse(%q) = %+v, %v", arn, r, err)
		}
		arn = "arn:" + tt.partition + ":ssm:" + tt.region + ":123456789012:parameter/app/x"
		if r, err := Parse(arn); err != nil || r.ID() != "/app/x" {
			t.Errorf("Parse(%q) = %+v, %v", arn, r, err)
		}
	}
	// A region the SDK does not list yet, but that fits a partition's
	// pattern, is a region of that partition for AWS_REGION, but not in an
	// ARN, which must name a region that exists (issue 19, item 7).
	if !IsRegion("ap-southeast-9") || PartitionOf("ap-southeast-9") != "aws" {
		t.Errorf("ap-southeast-9: IsRegion %v, PartitionOf %s; want a region of aws", IsRegion("ap-southeast-9"), PartitionOf("ap-southeast-9"))
	}
	wantSyntaxError(t, "arn:aws:secretsmanager:ap-southeast-9:123456789012:secret:x", "no region ap-southeast-9 in partition aws")
	for _, r := range []string{"ap-southeast-9", "aws-global", "us-east-1 ", ""} {
		if RegionExists(r) {
			t.Errorf("RegionExists(%q) = true, want false", r)
		}
	}
	for _, r := range []string{"us-east-1", "cn-north-1", "eusc-de-east-1", "us-isof-south-1"} {
		if !RegionExists(r) {
			t.Errorf("RegionExists(%q) = false, want true", r)
		}
	}
	for _, s := range []string{"", "us-east", "useast1", "US-EAST-1", "us-East-1", "us_east-1", "xx-east-1", "aws-global", "eusc-fr-east-1", "us-east-1a", "cn-north-1 "} {
		if IsRegion(s) {
			t.Errorf("IsRegion(%q) = true, want false", s)
		}
	}
	if got := PartitionOf("xx-east-1"); got != "aws" {
		t.Errorf("PartitionOf(an unknown region) = %q, want aws", got)
	}
	if got := PartitionOf("aws-cn-global"); got != "aws-cn" {
		t.Errorf("PartitionOf(aws-cn-global) = %q, want aws-cn", got)
	}
	if got := DNSSuffix("aws-unknown"); got != "amazonaws.com" {
		t.Errorf("DNSSuffix(an unknown partition) = %q, want amazonaws.com", got)
	}
	// Every region the SDK lists, but its pseudo-regions, is a region of
	// its own partition.
	for _, p := range partitions {
		for _, r := range p.Regions {
			if strings.HasSuffix(r, "-global") {
				continue
			}
			if !IsRegion(r) || PartitionOf(r) != p.ID {
				t.Errorf("region %s of %s: IsRegion %v, PartitionOf %s", r, p.ID, IsRegion(r), PartitionOf(r))
			}
		}
	}
}

func TestParsePartitionMalformed(t *testing.T) {
	tests := []struct{ name, in, reason string }{
		{"unknown partition", "arn:aws-mars:secretsmanager:us-east-1:123456789012:secret:db", "not an AWS partition: aws, aws-cn"},
		{"region of another partition", "arn:aws:secretsmanager:cn-north-1:123456789012:secret:db", "region cn-north-1 is in partition aws-cn, not aws"},
		{"eusc region under aws", "arn:aws:ssm:eusc-de-east-1:123456789012:parameter/x", "in partition aws-eusc, not aws"},
		{"unknown region", "arn:aws:secretsmanager:xx-east-1:123456789012:secret:db", "region"},
		{"upper-case region", "arn:aws:secretsmanager:US-EAST-1:123456789012:secret:db", "region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantSyntaxError(t, tt.in, tt.reason) })
	}
}
