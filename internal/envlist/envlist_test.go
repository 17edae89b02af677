package envlist_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/valuefrom/valuefrom/internal/envlist"
)

func dropSettings(name string) bool { return strings.HasPrefix(name, "VALUEFROM_") }

func TestSet(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		set  map[string]string
		drop func(string) bool
		want []string
	}{
		{
			name: "keeps order and replaces in place",
			env:  []string{"C=3", "A=1", "B=2"},
			set:  map[string]string{"A": "one"},
			want: []string{"C=3", "A=one", "B=2"},
		},
		{
			name: "drops settings",
			env:  []string{"VALUEFROM_TIMEOUT=5s", "A=1", "VALUEFROM_IGNORE=X", "VALUEFROMX=keep"},
			drop: dropSettings,
			want: []string{"A=1", "VALUEFROMX=keep"},
		},
		{
			name: "nil drop keeps all",
			env:  []string{"VALUEFROM_TIMEOUT=5s", "A=1"},
			want: []string{"VALUEFROM_TIMEOUT=5s", "A=1"},
		},
		{
			name: "values with equals newlines and unicode byte for byte",
			env:  []string{"EQ=a=b", "NL=x", "U=y", "RAW=k=v=\n\t é"},
			set:  map[string]string{"EQ": "==x==", "NL": "l1\nl2\r\n", "U": "ünï 世界\x00\xff"},
			want: []string{"EQ===x==", "NL=l1\nl2\r\n", "U=ünï 世界\x00\xff", "RAW=k=v=\n\t é"},
		},
		{
			name: "entries without equals unchanged",
			env:  []string{"NOEQ", "A=1", "", "=leading"},
			set:  map[string]string{"NOEQ": "x", "A": "2"},
			want: []string{"NOEQ", "A=2", "", "=leading"},
		},
		{
			name: "empty value replaced and replacing with empty",
			env:  []string{"E=", "F=full"},
			set:  map[string]string{"E": "now", "F": ""},
			want: []string{"E=now", "F="},
		},
		{
			name: "duplicates all replaced",
			env:  []string{"D=1", "X=0", "D=2"},
			set:  map[string]string{"D": "new"},
			want: []string{"D=new", "X=0", "D=new"},
		},
		{
			name: "names are case sensitive",
			env:  []string{"a=1", "A=2"},
			set:  map[string]string{"A": "big"},
			want: []string{"a=1", "A=big"},
		},
		{
			name: "empty environ",
			env:  nil,
			set:  map[string]string{"A": "1"},
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.env)
			got := envlist.Set(tt.env, tt.set, tt.drop)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Set = %q, want %q", got, tt.want)
			}
			if !slices.Equal(tt.env, in) {
				t.Errorf("Set modified its input: %q, want %q", tt.env, in)
			}
		})
	}
}

func TestGet(t *testing.T) {
	env := []string{"A=1", "PATH=/bin", "AB=x", "A=2", "EQ=k=v", "EMPTY=", "NOEQ"}
	tests := []struct {
		name string
		key  string
		want string
	}{
		{"last of duplicates", "A", "2"},
		{"single", "PATH", "/bin"},
		{"prefix of another name", "AB", "x"},
		{"value with equals", "EQ", "k=v"},
		{"empty value", "EMPTY", ""},
		{"missing", "MISSING", ""},
		{"entry without equals", "NOEQ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := envlist.Get(env, tt.key); got != tt.want {
				t.Errorf("Get(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name string
		base []string
		over []string
		want []string
	}{
		{"replaces in place", []string{"A=1", "B=2", "C=3"}, []string{"B=two"}, []string{"A=1", "B=two", "C=3"}},
		{"appends new in order", []string{"A=1"}, []string{"Z=26", "M=13"}, []string{"A=1", "Z=26", "M=13"}},
		{"last of over wins", []string{"A=1"}, []string{"A=x", "A=y", "N=1", "N=2"}, []string{"A=y", "N=2"}},
		{"values with equals kept", []string{"A=1"}, []string{"A=k=v", "B==="}, []string{"A=k=v", "B==="}},
		{"empty over", []string{"A=1"}, nil, []string{"A=1"}},
		{"empty base", nil, []string{"A=1"}, []string{"A=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := envlist.Merge(tt.base, tt.over); !slices.Equal(got, tt.want) {
				t.Errorf("Merge = %q, want %q", got, tt.want)
			}
		})
	}
}
