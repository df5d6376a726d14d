package redisstore_test

import "strconv"

// testIssuer is the issuer of the denials of tests that build claims by
// hand (claims): a denial names its issuer, and denies only its tokens.
const testIssuer = "https://issuer.test/tenant:1"

// rawKey is the key the Store writes for testIssuer's denial of this kind
// and id, under prefix.
func rawKey(prefix, kind, id string) string {
	return prefix + "v2:" + kind + ":" + strconv.Itoa(len(testIssuer)) + ":" + testIssuer + ":" + id
}

// rawMessage is the message the Store publishes for testIssuer's denial.
func rawMessage(since, until, kind, id string) string {
	return "v2 " + since + " " + until + " " + kind + ":" + strconv.Itoa(len(testIssuer)) + ":" + testIssuer + ":" + id
}
