package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/identsphere/identsphere-go/ginauth"
)

// healthz reports that the process is up. It does not depend on the
// issuer: an issuer outage must not get every replica restarted.
func healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// profile is what me answers: who is calling, as the token says.
type profile struct {
	Subject string   `json:"sub"`
	Email   string   `json:"email"`
	Org     string   `json:"org"`
	Scopes  []string `json:"scopes,omitempty"`
}

// me answers every /api route with the caller's identity. Replace it with
// your own handlers; they find the claims the same way.
func me(c *gin.Context) {
	claims, _ := ginauth.Claims(c) // always there: the middleware admitted c
	c.JSON(http.StatusOK, profile{Subject: claims.Subject, Email: claims.Email, Org: claims.Org, Scopes: claims.Scopes})
}

// noStore marks every answer of the routes behind it, success or refusal,
// as meant for its caller alone: it depends on the caller's token, so no
// browser or shared cache may keep it (no-store), and a cache that keeps it
// anyway must tell callers apart by their credentials (Vary).
func noStore(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Authorization, Cookie")
}

// notFound answers in the shape of every other error of this API, so that
// clients need one decoder.
func notFound(c *gin.Context) {
	c.JSON(http.StatusNotFound, gin.H{"error": "not_found", "error_description": "There is no such route."})
}
