package awsapi

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/smithy-go/logging"
)

// NewLogger returns the SDK logger that writes through log, so that the
// SDK's warnings (such as "falling back to IMDSv1") come out in the log
// format valuefrom was asked for, with the source "aws-sdk". Its WARN lines
// are warnings, anything else debug lines. A nil log discards them.
func NewLogger(log *slog.Logger) logging.Logger {
	if log == nil {
		return logging.Nop{}
	}
	return sdkLogger{log: log}
}

type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, v...), "source", "aws-sdk")
	}
}

// Millis is d in milliseconds, to the microsecond, as valuefrom's logs
// give every duration: a number, in a field named NAME_ms.
func Millis(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)) / float64(time.Millisecond)
}
