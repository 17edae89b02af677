// Package plan creates in moto what a set of the corpus's references
// name (see package corpus), and says what each then resolves to.
package plan

import (
	"encoding/json"
	"testing"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/valuefrom/valuefrom/internal/testkit/mototest"
	"github.com/valuefrom/valuefrom/resolver/reference"
)

// A Plan is what to create in moto so that a set of the corpus's
// references resolve, and what each then resolves to: every value holds
// "canary". Add the references, Seed moto once, then ask Value.
type Plan struct {
	region  string                    // of short forms
	secrets map[place]map[string]bool // the JSON keys asked of each secret
	params  map[place]bool
	// ARNs are the ARNs moto gave the secrets, by region and name, after Seed.
	ARNs map[[2]string]string
}

type place struct{ region, name string }

// New returns a Plan whose short forms resolve in region.
func New(region string) *Plan {
	return &Plan{region: region, secrets: map[place]map[string]bool{}, params: map[place]bool{}, ARNs: map[[2]string]string{}}
}

// Add adds ref and reports whether moto can hold what it names: the aws
// partition, the current version (moto cannot be given a version id, a
// stage history or a label here), and a secret's name as moto stores it.
func (p *Plan) Add(ref reference.Ref) bool {
	if ref.Partition != "" && ref.Partition != "aws" || ref.VersionID != "" || ref.VersionStage != "" || ref.Selector != "" {
		return false
	}
	at := p.place(ref)
	if ref.Service == reference.SSM {
		p.params[at] = true
		return true
	}
	if p.secrets[at] == nil {
		p.secrets[at] = map[string]bool{}
	}
	if ref.JSONKey != "" {
		p.secrets[at][ref.JSONKey] = true
	}
	return true
}

func (p *Plan) place(ref reference.Ref) place {
	region := ref.Region
	if region == "" {
		region = p.region
	}
	return place{region, ref.Name}
}

// Seed creates every secret and parameter of the plan in moto: a secret
// asked for JSON keys holds a JSON object of them.
func (p *Plan) Seed(tb testing.TB, moto *mototest.Server) {
	tb.Helper()
	seeders := map[string]*mototest.Seeder{}
	seeder := func(region string) *mototest.Seeder {
		if seeders[region] == nil {
			seeders[region] = moto.Seeder(tb, region)
		}
		return seeders[region]
	}
	for at, keys := range p.secrets {
		s := seeder(at.region).Secret(at.name, p.secretValue(at, keys))
		p.ARNs[[2]string{at.region, at.name}] = s.ARN
	}
	for at := range p.params {
		seeder(at.region).Parameter(at.name, ssmtypes.ParameterTypeSecureString, "canary-parameter-"+at.region+"-"+at.name)
	}
}

func (p *Plan) secretValue(at place, keys map[string]bool) string {
	if len(keys) == 0 {
		return "canary-secret-" + at.region + "-" + at.name
	}
	fields := map[string]string{}
	for k := range keys {
		fields[k] = "canary-" + at.name + "-" + k
	}
	b, _ := json.Marshal(fields)
	return string(b)
}

// Value returns what ref, added to the plan, resolves to.
func (p *Plan) Value(ref reference.Ref) string {
	at := p.place(ref)
	if ref.Service == reference.SSM {
		return "canary-parameter-" + at.region + "-" + at.name
	}
	if ref.JSONKey != "" {
		return "canary-" + at.name + "-" + ref.JSONKey
	}
	return p.secretValue(at, p.secrets[at])
}
