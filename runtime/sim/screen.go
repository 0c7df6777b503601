package sim

import (
	"bytes"
	"context"
	"fmt"
	goimage "image"
	"image/color"
	"image/draw"
	"image/png"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/opencph/opencph/runtime"
)

// Size of a simulated phone's screen, in pixels. The screen is drawn at
// half this size and every pixel doubled, so that the 7x13 bitmap font
// reads at a phone's scale.
const (
	ScreenWidth  = 360
	ScreenHeight = 640
	screenScale  = 2
)

var _ runtime.Screenshotter = (*Driver)(nil)

// Colors of the simulated home screen.
var (
	screenBackground = color.RGBA{0x1e, 0x3a, 0x5f, 0xff}
	screenStatusBar  = color.RGBA{0x10, 0x20, 0x38, 0xff}
	screenText       = color.RGBA{0xf0, 0xf4, 0xf8, 0xff}
	screenDim        = color.RGBA{0xa8, 0xb8, 0xcc, 0xff}
	screenIcons      = []color.RGBA{
		{0xe5, 0x73, 0x73, 0xff}, {0x81, 0xc7, 0x84, 0xff}, {0x64, 0xb5, 0xf6, 0xff}, {0xff, 0xd5, 0x4f, 0xff},
		{0xba, 0x68, 0xc8, 0xff}, {0x4d, 0xd0, 0xe1, 0xff}, {0xff, 0x8a, 0x65, 0xff}, {0xae, 0xd5, 0x81, 0xff},
	}
)

// Screenshot implements runtime.Screenshotter: a PNG of a home screen
// that shows the phone's name, state, boot count and uptime, and the
// driver's current time. A phone that is not running answers an error
// wrapping runtime.ErrNotRunning.
func (d *Driver) Screenshot(ctx context.Context, phoneID string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: screenshot of phone %s: %w", phoneID, err)
	}
	d.mu.Lock()
	p, err := d.running(phoneID)
	var info runtime.PhoneInfo
	if err == nil {
		info = p.info()
	}
	now := d.now()
	d.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("sim: screenshot of phone %s: %w", phoneID, err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, homeScreen(info, now)); err != nil {
		return nil, fmt.Errorf("sim: screenshot of phone %s: encode: %w", phoneID, err)
	}
	return buf.Bytes(), nil
}

// homeScreen draws the home screen of phone info at time now.
func homeScreen(info runtime.PhoneInfo, now time.Time) *goimage.RGBA {
	const w, h = ScreenWidth / screenScale, ScreenHeight / screenScale
	small := goimage.NewRGBA(goimage.Rect(0, 0, w, h))
	fill(small, small.Bounds(), screenBackground)
	fill(small, goimage.Rect(0, 0, w, 15), screenStatusBar)
	now = now.UTC()
	text(small, 4, 11, screenDim, "OpenCPH")
	clock := now.Format("15:04")
	text(small, w-4-7*len(clock), 11, screenText, clock)

	text(small, 8, 48, screenText, fit(info.Name, (w-16)/7))
	text(small, 8, 66, screenDim, "status: "+string(info.State))
	text(small, 8, 82, screenDim, fmt.Sprintf("boot #%d", info.BootCount))
	if !info.BootedAt.IsZero() {
		up := now.Sub(info.BootedAt).Truncate(time.Second)
		text(small, 8, 98, screenDim, "up "+up.String())
	}
	text(small, 8, 122, screenText, now.Format("2006-01-02 15:04:05"))

	// A grid of application icons.
	for i, c := range screenIcons {
		x, y := 14+(i%4)*40, 180+(i/4)*44
		fill(small, goimage.Rect(x, y, x+30, y+30), c)
	}
	fill(small, goimage.Rect(0, h-20, w, h), screenStatusBar)

	big := goimage.NewRGBA(goimage.Rect(0, 0, ScreenWidth, ScreenHeight))
	for y := range ScreenHeight {
		for x := range ScreenWidth {
			big.SetRGBA(x, y, small.RGBAAt(x/screenScale, y/screenScale))
		}
	}
	return big
}

// fill paints r of img in c.
func fill(img *goimage.RGBA, r goimage.Rectangle, c color.RGBA) {
	draw.Draw(img, r, goimage.NewUniform(c), goimage.Point{}, draw.Src)
}

// text writes s on img with its baseline at (x, y).
func text(img *goimage.RGBA, x, y int, c color.RGBA, s string) {
	dr := font.Drawer{Dst: img, Src: goimage.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	dr.DrawString(s)
}

// fit shortens s to at most n characters, marking a cut with "...".
func fit(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
