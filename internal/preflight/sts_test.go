package preflight

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func stsClient(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) }
