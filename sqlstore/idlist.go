package sqlstore

import (
	"encoding/json"
	"strconv"
)

// Lists of ids as one parameter. The statements that serve many agents
// at once name thousands of ids; as placeholders ($1 … $N) they would make
// each statement's text depend on the list's length (a prepared statement
// per length) and, on SQLite, bind each argument by a search through all
// of them (modernc's driver looks named parameters up one by one). One
// parameter holds the whole list instead: a JSON array read by json_each
// on SQLite, a text[] on PostgreSQL.

// inList returns the condition "col is one of the values of parameter
// $n" for the store's engine.
func (tx *Tx) inList(col string, n int) string {
	p := "$" + strconv.Itoa(n)
	if tx.engine == Postgres {
		return col + " = ANY(" + p + "::text[])"
	}
	return col + " IN (SELECT value FROM json_each(" + p + "))"
}

// listArg returns vals as the argument of an inList parameter.
func (tx *Tx) listArg(vals []string) any {
	if tx.engine == Postgres {
		if vals == nil {
			vals = []string{}
		}
		return vals
	}
	b, err := json.Marshal(vals)
	if err != nil { // strings always encode
		panic(err)
	}
	return string(b)
}
