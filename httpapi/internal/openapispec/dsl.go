// Package openapispec builds the OpenAPI 3 document of the OpenCPH API
// (httpapi/openapi.json) from compact Go definitions, grouped by area of
// the CPH API (phones, servers, shared storage and commands, images and
// tags, jobs).
package openapispec

import (
	"fmt"
	"strings"
)

// M is a JSON object of the document.
type M = map[string]any

// cphTimePattern is the CPH time format.
const cphTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`

// iamTimePattern is the IAM time format: six fractional digits.
const iamTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$`

// hex32Pattern is a generated id or request id.
const hex32Pattern = `^[0-9a-f]{32}$`

// typ returns the schema of one type token:
//
//	string int32 int64 number bool object   JSON types
//	time   a CPH time string; itime an IAM time string
//	json   a string holding a JSON document
//	hex32  a 32-hex-character id
//	@Name  a reference to components/schemas/Name
//	[]T    an array of T
//	?T     T or null
func typ(tok string) M {
	switch {
	case strings.HasPrefix(tok, "?"):
		s := typ(tok[1:])
		if _, isRef := s["$ref"]; isRef {
			return M{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case strings.HasPrefix(tok, "[]"):
		return M{"type": "array", "items": typ(tok[2:])}
	case strings.HasPrefix(tok, "@"):
		return M{"$ref": "#/components/schemas/" + tok[1:]}
	}
	switch tok {
	case "string":
		return M{"type": "string"}
	case "json":
		return M{"type": "string", "description": "A JSON document encoded as a string."}
	case "time":
		return M{"type": "string", "pattern": cphTimePattern, "example": "2025-03-14T08:21:05Z"}
	case "itime":
		return M{"type": "string", "pattern": iamTimePattern}
	case "hex32":
		return M{"type": "string", "pattern": hex32Pattern}
	case "int32":
		return M{"type": "integer", "format": "int32"}
	case "int64":
		return M{"type": "integer", "format": "int64"}
	case "number":
		return M{"type": "number"}
	case "bool":
		return M{"type": "boolean"}
	case "object":
		return M{"type": "object"}
	}
	panic(fmt.Sprintf("openapispec: unknown type %q", tok))
}

// obj returns an object schema from a field list "name type[!]; ..."
// (see typ; a trailing ! marks the field required). Later arguments, in
// name/schema pairs, replace the schema of a field (keeping it required
// if it was).
func obj(fields string, overrides ...any) M {
	props := M{}
	var required []string
	for _, f := range strings.FieldsFunc(fields, func(r rune) bool { return r == ';' || r == '\n' }) {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		parts := strings.Fields(f)
		if len(parts) != 2 {
			panic(fmt.Sprintf("openapispec: bad field %q", f))
		}
		name, t := parts[0], parts[1]
		if strings.HasSuffix(t, "!") {
			t = strings.TrimSuffix(t, "!")
			required = append(required, name)
		}
		props[name] = typ(t)
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		name := overrides[i].(string)
		if _, ok := props[name]; !ok {
			panic(fmt.Sprintf("openapispec: override of unknown field %q", name))
		}
		props[name] = overrides[i+1]
	}
	s := M{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// with returns a copy of s with the given keys set.
func with(s M, kv ...any) M {
	out := M{}
	for k, v := range s {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// enum returns the schema of type tok restricted to values.
func enum(tok string, values ...any) M {
	return with(typ(tok), "enum", values)
}

// allOf merges object schemas (used for "Server fields plus ...").
func allOf(schemas ...M) M {
	list := make([]any, len(schemas))
	for i, s := range schemas {
		list[i] = s
	}
	return M{"allOf": list}
}

// ref returns a reference to components/schemas/name.
func ref(name string) M { return typ("@" + name) }

// param is a path, query or header parameter.
type param struct {
	in, name string
	required bool
	schema   M
	desc     string
}

func path(name, desc string) param {
	return param{in: "path", name: name, required: true, schema: typ("string"), desc: desc}
}

func query(name string, schema M, desc string) param {
	return param{in: "query", name: name, schema: schema, desc: desc}
}

func header(name string, required bool, desc string) param {
	return param{in: "header", name: name, required: required, schema: typ("string"), desc: desc}
}

func (p param) doc() M {
	d := M{"in": p.in, "name": p.name, "required": p.required, "schema": p.schema}
	if p.desc != "" {
		d["description"] = p.desc
	}
	return d
}

// paging returns the offset and limit query parameters with limit 1..max.
// pageByMarker returns the marker and limit parameters of a list paged
// by marker, whose limit is 1..max and max when absent.
func pageByMarker(max int, key string) []param {
	return []param{
		query("marker", typ("string"), "Marker of the previous page (its page_info.next_marker, the "+key+" of its last item); absent for the first page. A marker that names no item is CPS.9011."),
		query("limit", with(typ("int32"), "minimum", 1, "maximum", max), fmt.Sprintf("Page size, 1-%d (default %d).", max, max)),
	}
}

func paging(max int) []param {
	return []param{
		query("offset", with(typ("int32"), "minimum", 0), "Number of records to skip (default 0)."),
		query("limit", with(typ("int32"), "minimum", 1, "maximum", max), fmt.Sprintf("Page size, 1-%d.", max)),
	}
}
