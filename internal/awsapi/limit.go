package awsapi

import (
	"context"
	"errors"
	"io"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// MaxResponseBytes bounds what is read of any one answer from AWS or a
// metadata service. The largest answer valuefrom asks for is a
// GetParameters of ten 8 KiB advanced parameters, or a 64 KiB secret
// (88 KB as SecretBinary in base64); JSON escapes a control character in
// six bytes, so even a value made only of those stays under half of this.
// An endpoint that sends more is not AWS, or not answering what was
// asked: reading it all would exhaust a small task's memory.
const MaxResponseBytes = 1 << 20

// MaxBatchResponseBytes bounds the answer of a call that asks for up to
// twenty secrets at once (BatchGetSecretValue): twenty 64 KiB binary
// secrets are 1.8 MB in base64. See WithResponseLimit.
const MaxBatchResponseBytes = 4 << 20

// WithResponseLimit returns ctx, under which a call made with a client
// from LoadConfig reads at most limit bytes of its answer instead of
// MaxResponseBytes.
func WithResponseLimit(ctx context.Context, limit int64) context.Context {
	return context.WithValue(ctx, responseLimitKey{}, limit)
}

type responseLimitKey struct{}

// maxHeaderBytes bounds an answer's headers, which AWS keeps to a few
// hundred bytes.
const maxHeaderBytes = 64 << 10

// ErrResponseTooLarge says an answer was larger than MaxResponseBytes.
var ErrResponseTooLarge = errors.New("the answer is larger than 1 MiB, more than any secret or parameter")

// LimitResponses is an SDK API option that makes every answer's body fail
// with ErrResponseTooLarge once more than MaxResponseBytes of it are read.
// LoadConfig adds it to the configuration, so that every client made from
// it (Secrets Manager, SSM, KMS, STS, instance metadata, container
// credentials) has it. Adding it twice is harmless.
func LimitResponses(stack *middleware.Stack) error {
	if _, ok := stack.Deserialize.Get(limitResponseID); ok {
		return nil
	}
	// Last in the deserialize step is nearest the transport: it wraps the
	// body before any other middleware reads it, or drains it on error.
	return stack.Deserialize.Add(limitResponse{}, middleware.After)
}

const limitResponseID = "valuefrom.LimitResponse"

type limitResponse struct{}

func (limitResponse) ID() string { return limitResponseID }

func (limitResponse) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil && resp.Response != nil && resp.Body != nil {
		limit, ok := ctx.Value(responseLimitKey{}).(int64)
		if !ok {
			limit = MaxResponseBytes
		}
		resp.Body = LimitBody(resp.Body, limit)
	}
	return out, md, err
}

// LimitBody returns body, whose read that goes past limit bytes fails with
// ErrResponseTooLarge. Later reads find the end of the body, so that
// draining it before Close, as the SDK does, stops there quietly.
// Closing it closes body.
func LimitBody(body io.ReadCloser, limit int64) io.ReadCloser {
	return &limitedBody{body: body, left: limit}
}

type limitedBody struct {
	body io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, io.EOF
	}
	// Read one byte past the limit, to tell a body of exactly limit
	// bytes from a longer one.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n + int(b.left), ErrResponseTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.body.Close() }
