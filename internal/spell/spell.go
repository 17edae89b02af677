// Package spell measures how far apart two words are, for the
// did-you-mean hints of misspelt settings, subcommands, flags and
// references.
package spell

// Distance is the optimal string alignment distance between a and b, by
// bytes: the Levenshtein distance (insertions, deletions, substitutions)
// with a swap of two adjacent bytes counting as one edit.
func Distance(a, b string) int { return distance(a, b, false) }

// DistanceFold is Distance with ASCII letters compared without regard to
// case.
func DistanceFold(a, b string) int { return distance(a, b, true) }

// distance keeps three rows of the table, on the stack for words of up
// to 32 bytes: the grammar asks it on the way of every start.
func distance(a, b string, fold bool) int {
	n := len(b) + 1
	var buf [3 * 33]int
	rows := buf[:]
	if 3*n > len(buf) {
		rows = make([]int, 3*n)
	}
	prev2, prev, cur := rows[:n], rows[n:2*n], rows[2*n:3*n]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j < n; j++ {
			cost := 1
			if same(a[i-1], b[j-1], fold) {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && same(a[i-1], b[j-2], fold) && same(a[i-2], b[j-1], fold) {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[n-1]
}

func same(x, y byte, fold bool) bool {
	if fold {
		x, y = lower(x), lower(y)
	}
	return x == y
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
