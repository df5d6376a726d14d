// Package strictjson is the one reader of hostile JSON in this module: JOSE
// headers, claims sets, JWKS documents and their keys, DPoP proofs, logout
// tokens and introspection answers all go through it.
//
// encoding/json will not do for security decisions. It matches member
// names case-insensitively, so "ISS" or "Iss" would fill an Issuer field
// (member-name smuggling); it lets a repeated member silently win, and
// parsers disagree on which one, so two readers of one token can see two
// issuers; it replaces invalid UTF-8 instead of refusing it; and it costs
// reflection on a path that must stay cheaper than one signature check.
//
// What this reader refuses, everywhere:
//   - anything but exactly one object (trailing data, a second object,
//     a top-level array or scalar);
//   - a member name that appears twice, compared byte for byte after
//     unescaping (so "\u0073ub" repeats "sub"); "ISS" and "iss" are two
//     different names, and callers match names exactly;
//   - invalid UTF-8, raw control characters in strings, bad escapes;
//   - nesting deeper than 32 arrays and objects (maxDepth);
//   - any deviation from the JSON grammar (leading zeros, NaN, trailing
//     commas, single quotes, unquoted names);
//   - with a member cap (NewIter's maxMembers), more members than it.
//
// Size is capped by the callers, before any byte is read (a token's size,
// a header segment, a fetched body); the reader's cost is linear in its
// input whatever its shape: the duplicate check compares a name with at
// most a fixed number of others, then switches to a map.
//
// Values are handed out raw; String, Strings, Seconds and Array read them
// strictly too. Escaped names and strings are unescaped here, exactly as
// encoding/json would (the fuzz targets hold the two together), at the
// cost of one shared buffer rather than a decoder per string. Find is the lean mode: it stops at one top-level member
// without recording names, for the one place that reads a member before a
// signature has verified the whole object (choosing an issuer's keys).
package strictjson
