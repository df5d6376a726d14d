package authtest

// WithHoldHook calls f each time a FaultSlow request starts being held, so
// tests can act at that exact moment instead of sleeping.
func WithHoldHook(f func()) Option {
	return func(c *config) { c.onHold = f }
}
