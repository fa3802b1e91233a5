package sim

import "testing"

func TestPages(t *testing.T) {
	for _, c := range []struct{ n, size, want int }{
		{0, 100, 1}, {1, 100, 1}, {100, 100, 1}, {101, 100, 2}, {250, 25, 10}, {7, 0, 7},
	} {
		if got := Pages(c.n, c.size); got != c.want {
			t.Errorf("Pages(%d, %d) = %d, want %d", c.n, c.size, got, c.want)
		}
	}
}

func TestBlockInt(t *testing.T) {
	block := map[string]any{"int": 100, "int64": int64(25), "float": 500.0, "frac": 2.5, "str": "200", "word": "many"}
	for key, want := range map[string]int{"int": 100, "int64": 25, "float": 500, "frac": 7, "str": 200, "word": 7, "absent": 7} {
		if got := BlockInt(block, key, 7); got != want {
			t.Errorf("BlockInt(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestMinimumTotal(t *testing.T) {
	m := Minimum{Requests: map[string]int{"POST /a": 3, "GET /b/{id}": 40}}
	if got := m.Total(); got != 43 {
		t.Errorf("Total = %d, want 43", got)
	}
}
