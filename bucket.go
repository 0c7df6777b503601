package cph

// BucketService manages the caller's object buckets and their objects.
type BucketService interface {
}
