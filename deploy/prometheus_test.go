package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// promtool returns promtool's path, skipping when it is missing outside CI
// (make test installs Debian's prometheus package as root).
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no promtool in CI: make lab-deps installs the prometheus package")
		}
		t.Skip("no promtool (apt-get install prometheus; make test does it as root)")
	}
	return p
}

// TestAlertRules checks the rules and runs their unit tests: series that
// must fire and series that must not (prometheus/rstsniff.rules_test.yml).
func TestAlertRules(t *testing.T) {
	pt := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "rstsniff.rules.yml"},
		{"test", "rules", "rstsniff.rules_test.yml"},
	} {
		cmd := exec.Command(pt, args...)
		cmd.Dir = "prometheus"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// dashboardQueries returns the PromQL of every panel of the Grafana
// dashboard, with Grafana's variables replaced by what they stand for.
func dashboardQueries(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("grafana/rstsniff.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana/rstsniff.json: %v", err)
	}
	vars := strings.NewReplacer("$__rate_interval", "1m", "$__range", "1h", "$instance", ".*")
	q := map[string]string{}
	for _, p := range d.Panels {
		for i, tg := range p.Targets {
			q[fmt.Sprintf("%s #%d", p.Title, i+1)] = vars.Replace(tg.Expr)
		}
	}
	return q
}

// TestDashboard checks that the dashboard has the panels the fleet asked
// for and that every query parses (promtool, as recording rules).
func TestDashboard(t *testing.T) {
	qs := dashboardQueries(t)
	for _, want := range []string{"Forged resets per host", "Resets by stage and sender", "Kernel and interface drops", "Findings by ID"} {
		if _, ok := qs[want+" #1"]; !ok {
			t.Errorf("no panel %q", want)
		}
	}
	pt := promtool(t)
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for _, k := range slices.Sorted(maps.Keys(qs)) {
		fmt.Fprintf(&b, "      - record: dashboard:query\n        expr: %q\n", qs[k])
	}
	f := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(pt, "check", "rules", f).CombinedOutput(); err != nil {
		t.Errorf("dashboard queries do not parse: %v\n%s", err, out)
	}
}

// TestMetricNamesExist ties the rules and the dashboard to the metrics
// rstsniff serves: every rstsniff_ name they use is registered in
// metrics/metrics.go, with each label they select on.
func TestMetricNamesExist(t *testing.T) {
	src, err := os.ReadFile("../metrics/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile("prometheus/rstsniff.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	text.Write(rules)
	for _, q := range dashboardQueries(t) {
		text.WriteString(q + "\n")
	}
	served := map[string]bool{}
	for _, m := range regexp.MustCompile(`Name: "(rstsniff_[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		served[m[1]] = true
	}
	if len(served) == 0 {
		t.Fatal("found no metric names in metrics/metrics.go")
	}
	// Names of recording rules (instance:rstsniff_...:rate5m) are not metrics.
	used := regexp.MustCompile(`(?:^|[^:a-z_])(rstsniff_[a-z_]+)(\{[^}]*\})?`).FindAllStringSubmatch(text.String(), -1)
	if len(used) == 0 {
		t.Fatal("the rules and dashboard use no rstsniff metric")
	}
	for _, u := range used {
		if !served[u[1]] {
			t.Errorf("%s is used by the rules or the dashboard but metrics/metrics.go serves no such metric", u[1])
		}
		for _, sel := range regexp.MustCompile(`([a-z_]+)=~?"`).FindAllStringSubmatch(u[2], -1) {
			if sel[1] != "instance" && sel[1] != "job" && !strings.Contains(string(src), `"`+sel[1]+`"`) {
				t.Errorf("%s{%s=...}: metrics/metrics.go has no label %q", u[1], sel[1], sel[1])
			}
		}
	}
}
