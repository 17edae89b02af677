package awsapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
)

func TestFindRegion(t *testing.T) {
	ecs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v4/abc/task" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"Cluster":"c","TaskARN":"arn:aws:ecs:eu-central-1:123456789012:task/c/0123","AvailabilityZone":"eu-central-1a"}`)
	}))
	defer ecs.Close()
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			io.WriteString(w, "token")
		case r.URL.Path == "/latest/dynamic/instance-identity/document" && r.Header.Get("X-Aws-Ec2-Metadata-Token") == "token":
			io.WriteString(w, `{"region":"ap-southeast-2","availabilityZone":"ap-southeast-2a"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer imds.Close()
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			io.WriteString(w, "token")
			return
		}
		io.WriteString(w, `{"region":"../../evil.example/"}`)
	}))
	defer junk.Close()

	tests := []struct {
		name   string
		cfg    string
		env    map[string]string
		want   string
		errNil bool
	}{
		{"configured", "us-west-2", nil, "us-west-2", true},
		{"ECS task metadata", "", map[string]string{"ECS_CONTAINER_METADATA_URI_V4": ecs.URL + "/v4/abc"}, "eu-central-1", true},
		{"instance metadata", "", map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL}, "ap-southeast-2", true},
		{"ECS first", "", map[string]string{"ECS_CONTAINER_METADATA_URI_V4": ecs.URL + "/v4/abc", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL}, "eu-central-1", true},
		{"broken ECS, then instance", "", map[string]string{"ECS_CONTAINER_METADATA_URI_V4": ecs.URL + "/nope", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL}, "ap-southeast-2", true},
		{"metadata disabled", "", map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}, "", false},
		{"instance metadata names no region", "", map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": junk.URL}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			getenv := func(k string) string { return tt.env[k] }
			// The instance metadata endpoint reaches the IMDS client
			// through the loaded configuration, as in valuefrom.
			t.Setenv("AWS_REGION", tt.cfg)
			t.Setenv("AWS_DEFAULT_REGION", "")
			t.Setenv("AWS_CONFIG_FILE", "/dev/null")
			t.Setenv("AWS_PROFILE", "")
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got, err := FindRegion(context.Background(), cfg, getenv)
			if got != tt.want {
				t.Errorf("region = %q, want %q", got, tt.want)
			}
			if tt.errNil != (err == nil) || (err != nil && !errors.Is(err, ErrNoRegion)) {
				t.Errorf("error = %v", err)
			}
		})
	}
}

func TestRequestRegion(t *testing.T) {
	tests := []struct {
		named, def, want string
		err              error
	}{
		{"eu-west-1", "us-east-1", "eu-west-1", nil},
		{"", "us-east-1", "us-east-1", nil},
		{"eu-west-1", "", "eu-west-1", nil},
		{"", "", "", ErrNoRegion},
	}
	for _, tt := range tests {
		got, err := RequestRegion(tt.named, tt.def)
		if got != tt.want || err != tt.err {
			t.Errorf("RequestRegion(%q, %q) = %q, %v; want %q, %v", tt.named, tt.def, got, err, tt.want, tt.err)
		}
	}
}

// TestFindRegionLimitsAnswers: a metadata service that answers without
// end costs a bounded amount of memory, and the look-up moves on.
func TestFindRegionLimitsAnswers(t *testing.T) {
	ecs, _ := hugeServer(t, "application/json", `{"TaskARN":"`, `"}`)
	imds, _ := hugeServer(t, "application/json", `{"region":"`, `"}`)
	t.Run("ECS task metadata", func(t *testing.T) {
		var err error
		grew := allocated(func() { _, err = ecsRegion(context.Background(), ecs.URL) })
		if !errors.Is(err, ErrResponseTooLarge) {
			t.Errorf("error = %.200v, want ErrResponseTooLarge", err)
		}
		if grew > maxGrowth {
			t.Errorf("the look-up allocated %d MiB, want under %d MiB", grew>>20, maxGrowth>>20)
		}
	})
	t.Run("instance metadata", func(t *testing.T) {
		t.Setenv("AWS_REGION", "")
		t.Setenv("AWS_DEFAULT_REGION", "")
		t.Setenv("AWS_CONFIG_FILE", "/dev/null")
		t.Setenv("AWS_PROFILE", "")
		t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
		// Not LoadConfig: FindRegion bounds the answer itself.
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var region string
		grew := allocated(func() { region, err = FindRegion(context.Background(), cfg, func(string) string { return "" }) })
		if region != "" || !errors.Is(err, ErrNoRegion) {
			t.Errorf("FindRegion = %.40q (%d bytes), %.200v; want ErrNoRegion", region, len(region), err)
		}
		if grew > maxGrowth {
			t.Errorf("the look-up allocated %d MiB, want under %d MiB", grew>>20, maxGrowth>>20)
		}
	})
}
