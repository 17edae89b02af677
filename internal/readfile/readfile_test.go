package readfile_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valuefrom/valuefrom/internal/readfile"
	"github.com/valuefrom/valuefrom/internal/testkit/testfs"
)

// bound is how long a read that ctx has ended may take to return: far
// longer than it needs, short enough to fail a test that hangs.
const bound = 10 * time.Second

// readAsync reads path in a goroutine; the channel gets its error.
func readAsync(ctx context.Context, path string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := readfile.Read(ctx, path, 1<<10)
		done <- err
	}()
	return done
}

func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(bound):
		t.Fatalf("Read did not return within %v of its context ending", bound)
		return nil
	}
}

func TestReadFIFOWithoutWriterReturnsWhenContextEnds(t *testing.T) {
	path := testfs.FIFO(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := readAsync(ctx, path)
	stop := errors.New("stopped by the test")
	cancel(stop)
	if err := waitErr(t, done); !errors.Is(err, stop) {
		t.Errorf("err = %v, want the context's cause", err)
	}
}

func TestReadFIFOWithIdleWriterReturnsWhenContextEnds(t *testing.T) {
	path := testfs.FIFO(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := readfile.Read(ctx, path, 1<<10)
		done <- err
	}()
	// Opening for writing blocks until the reader has opened: after it,
	// Read is past its open and in its read.
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("{")); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := waitErr(t, done); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestReadFIFO(t *testing.T) {
	path := testfs.FIFO(t)
	done := make(chan []byte, 1)
	go func() {
		data, err := readfile.Read(context.Background(), path, 1<<10)
		if err != nil {
			t.Error(err)
		}
		done <- data
	}()
	if err := os.WriteFile(path, []byte(`{"name":"app"}`), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case data := <-done:
		if string(data) != `{"name":"app"}` {
			t.Errorf("read %q", data)
		}
	case <-time.After(bound):
		t.Fatal("Read of a FIFO whose writer closed did not return")
	}
}

func TestReadLimit(t *testing.T) {
	dir := t.TempDir()
	atLimit, over := filepath.Join(dir, "at"), filepath.Join(dir, "over")
	os.WriteFile(atLimit, []byte(strings.Repeat("x", 1<<10)), 0o600)
	os.WriteFile(over, []byte(strings.Repeat("x", 1<<10+1)), 0o600)
	tests := []struct {
		name, path string
		wantLen    int
		tooLarge   bool
	}{
		{"at the limit", atLimit, 1 << 10, false},
		{"one byte over", over, 0, true},
		{"endless device", "/dev/zero", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := readfile.Read(context.Background(), tt.path, 1<<10)
			var tl *readfile.TooLargeError
			if got := errors.As(err, &tl); got != tt.tooLarge {
				t.Fatalf("err = %v, want a TooLargeError: %v", err, tt.tooLarge)
			}
			if tt.tooLarge && (tl.Limit != 1<<10 || !strings.Contains(err.Error(), "larger than 1 KiB") || !strings.Contains(err.Error(), tt.path)) {
				t.Errorf("err = %q, want it to name the file and the limit", err)
			}
			if len(data) != tt.wantLen {
				t.Errorf("read %d bytes, want %d", len(data), tt.wantLen)
			}
		})
	}
}

func TestReadMissing(t *testing.T) {
	_, err := readfile.Read(context.Background(), filepath.Join(t.TempDir(), "nope"), 1<<10)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 64 << 10: "64 KiB", 1000: "1000 bytes", 3<<20 + 1<<10: "3073 KiB"} {
		if got := readfile.Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestReadFromReturnsWhenContextEnds: a reader nobody writes to, as a
// terminal's standard input can be, does not hold off a signal.
func TestReadFromReturnsWhenContextEnds(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := readfile.ReadFrom(ctx, r, "standard input", 1<<10)
		done <- err
	}()
	stop := errors.New("stopped by the test")
	cancel(stop)
	err := waitErr(t, done)
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("err = %v, want it to name standard input and wrap the context's cause", err)
	}
}

func TestReadFromLimit(t *testing.T) {
	data, err := readfile.ReadFrom(context.Background(), strings.NewReader(strings.Repeat("x", 1<<10)), "in", 1<<10)
	if err != nil || len(data) != 1<<10 {
		t.Fatalf("at the limit: %d bytes, %v; want all of them", len(data), err)
	}
	_, err = readfile.ReadFrom(context.Background(), strings.NewReader(strings.Repeat("x", 1<<10+1)), "in", 1<<10)
	var tl *readfile.TooLargeError
	if !errors.As(err, &tl) || tl.Path != "in" {
		t.Errorf("one byte over: err = %v, want a TooLargeError naming in", err)
	}
}
