package cph

// DefaultImageID is the public image (Android 11, AOSP) that new phones
// run unless told otherwise.
const DefaultImageID = "a1b2c3d4e5f60718293a4b5c6d7e8f11"
