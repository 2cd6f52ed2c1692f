package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// chromium is the headless browser the HTML tests render with; without
// one the test is skipped, except as root in CI, where make test installs
// it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, b := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(b); err == nil {
			return p
		}
	}
	if os.Geteuid() == 0 && os.Getenv("CI") != "" {
		t.Fatal("chromium is missing: make test installs it")
	}
	t.Skip("no chromium (make test installs it as root)")
	return ""
}

// shotColours renders an HTML report of rstsniff args in headless Chromium
// and counts, inside the diagram (the region of the SVG's background
// colour), the pixels near each of colours.
func shotColours(t *testing.T, colours [][3]int, args ...string) []int {
	t.Helper()
	browser := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	out, errOut, code := runCLI(t, "", append(args, "--format", "html", "-o", page)...)
	if code == exitUsage {
		t.Fatalf("%s%s", out, errOut)
	}
	shot := filepath.Join(dir, "shot.png")
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1100,1400", "--screenshot="+shot, "file://"+page)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, b)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	near := func(c color.Color, r, g, b, tol int) bool {
		cr, cg, cb, _ := c.RGBA()
		d := func(x uint32, y int) int {
			v := int(x>>8) - y
			if v < 0 {
				v = -v
			}
			return v
		}
		return d(cr, r)+d(cg, g)+d(cb, b) <= tol
	}
	// The SVG's background (#f3f7fc) gives its box.
	box := image.Rectangle{Min: image.Pt(1<<30, 1<<30)}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if near(img.At(x, y), 0xf3, 0xf7, 0xfc, 2) {
				box.Min.X, box.Min.Y = min(box.Min.X, x), min(box.Min.Y, y)
				box.Max.X, box.Max.Y = max(box.Max.X, x), max(box.Max.Y, y)
			}
		}
	}
	if box.Dx() < 600 || box.Dy() < 150 {
		t.Fatalf("no diagram-sized region of the SVG background: %v", box)
	}
	counts := make([]int, len(colours))
	for y := box.Min.Y; y <= box.Max.Y; y++ {
		for x := box.Min.X; x <= box.Max.X; x++ {
			for i, c := range colours {
				if near(img.At(x, y), c[0], c[1], c[2], 60) {
					counts[i]++
					break
				}
			}
		}
	}
	t.Logf("diagram at %v: %v pixels of %v", box, counts, colours)
	return counts
}

// TestHTMLScreenshot opens the HTML report of the reject-banner capture and
// checks that the ladder diagram is visible: red (reset) and blue (packet)
// arrows.
func TestHTMLScreenshot(t *testing.T) {
	c := shotColours(t, [][3]int{{0xc6, 0x28, 0x28}, {0x2b, 0x5f, 0xa8}}, "-r", "../../testdata/pcaps/reject-banner/capture.pcap")
	if c[0] < 200 || c[1] < 150 {
		t.Errorf("%d red and %d blue pixels, want reset and packet arrows drawn", c[0], c[1])
	}
}

// TestCorrelationScreenshot does the same for the three-lane diagram of a
// two-sided capture: blue delivered packets, red for the banner lost and
// the reset forged on the path, purple for the client's real reset.
func TestCorrelationScreenshot(t *testing.T) {
	d := "../../testdata/pairs/reject-banner/"
	c := shotColours(t, [][3]int{{0xc6, 0x28, 0x28}, {0x2b, 0x5f, 0xa8}, {0x6a, 0x1b, 0x9a}},
		"--correlate", "-r", d+"client.pcap", "-r", d+"server.pcap")
	if c[0] < 200 || c[1] < 150 || c[2] < 100 {
		t.Errorf("%d red, %d blue and %d purple pixels, want lost, forged, delivered and genuine reset arrows drawn", c[0], c[1], c[2])
	}
}
