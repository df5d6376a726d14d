package core

// Status reports the Validator's health: whether it is ready, how many
// tokens it caches, and for each issuer its keys, when they were last
// fetched and the last failure. It is cheap (no I/O, no lock on the request
// path) and holds no secret, so a readiness endpoint can serve it as JSON.
func (v *Validator) Status() Status {
	st := Status{Ready: v.Ready()}
	if v.cache != nil {
		st.CacheEntries = v.cache.len()
	}
	for _, is := range v.issuers() {
		ks := IssuerStatus{Issuer: is.cfg.Issuer, Ready: is.keys.usable()}
		if is.tenant != nil {
			ks.Template = is.tenant.template
		}
		if snap := is.keys.store.snapshot.Load(); snap != nil {
			ks.Keys = snap.usable
		}
		ks.KeysFetchedAt = is.keys.fetchedAt()
		if err := is.keys.err(); err != nil {
			ks.LastError = err.Error()
		}
		st.Issuers = append(st.Issuers, ks)
	}
	if v.multi != nil {
		for _, t := range v.multi.templates {
			st.Templates = append(st.Templates, t.status())
		}
	}
	return st
}
