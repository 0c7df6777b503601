package sim_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// decodeScreen decodes a screenshot and checks its size.
func decodeScreen(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(sim.ScreenWidth, sim.ScreenHeight) {
		t.Fatalf("screenshot is %v, want %dx%d", got, sim.ScreenWidth, sim.ScreenHeight)
	}
	return img
}

func TestScreenshotShowsThePhone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 15, 4, 5, 0, time.UTC)
	d := sim.New(sim.Config{Now: func() time.Time { return at }})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Name: "phone-one", Index: 1, ImageID: "img", Running: true})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p2", Name: "phone-two", Index: 2, ImageID: "img", Running: true})

	first, err := d.Screenshot(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	img := decodeScreen(t, first)
	// The text area (name, status, time) is not one flat color.
	colors := map[[4]uint32]bool{}
	for y := 80; y < 260; y++ {
		for x := 0; x < sim.ScreenWidth; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			colors[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colors) < 2 {
		t.Fatalf("text area has %d colors, want text on a background", len(colors))
	}

	// The same phone at the same moment is drawn the same; another phone's
	// name is drawn differently.
	again, err := d.Screenshot(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Error("two screenshots of an unchanged phone at one moment differ")
	}
	other, err := d.Screenshot(ctx, "p2")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first, other) {
		t.Error("screenshots of two phones with different names are equal")
	}

	// A restart changes what the screen shows (its boot count).
	if err := d.Restart(ctx, "p1", runtime.RestartOptions{}); err != nil {
		t.Fatal(err)
	}
	after, err := d.Screenshot(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	decodeScreen(t, after)
	if bytes.Equal(first, after) {
		t.Error("the screenshot did not change when the phone restarted")
	}
}

func TestScreenshotOfStoppedPhoneRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := sim.New(sim.Config{})
	mustEnsure(t, d, runtime.PhoneSpec{ID: "p1", Name: "p1", Index: 1, ImageID: "img", Running: true})
	if err := d.Stop(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Screenshot(ctx, "p1"); !errors.Is(err, runtime.ErrNotRunning) {
		t.Errorf("screenshot of a stopped phone: %v, want ErrNotRunning", err)
	}
	if _, err := d.Screenshot(ctx, "nope"); !errors.Is(err, runtime.ErrNoSuchPhone) {
		t.Errorf("screenshot of an unknown phone: %v, want ErrNoSuchPhone", err)
	}
}
