package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opencph/opencph/client"
)

// command describes one cph command that calls the API: what its help
// shows, its flags, the call, and the forms of its result. build turns it
// into a cobra command whose run does, in this order:
//
//  1. resolve the global settings (a.run);
//  2. check the wait flags (Wait), then Check the flags and arguments;
//  3. create the client (newClient) with the settings Check left;
//  4. Call the API;
//  5. print the result: Output when set; else with -q the IDs; else with
//     -o json the JSON form; else the table form (Table, Fields or Text)
//     and, for a page of a list, the note that more items exist (More);
//  6. Done, in every format.
//
// Every error of these steps is classified into an exit code by a.run and
// a.exit (errors.go): usage errors exit 2, API errors 3, and so on.
type command[T any] struct {
	Use, Short, Long, Example string
	Args                      cobra.PositionalArgs

	// Flags registers the command's own flags.
	Flags func(cmd *cobra.Command)
	// Page, when set, registers the paging flags (--offset, --limit, --all);
	// Check reads them with Page.values.
	Page *pageFlags
	// Wait, when set, registers the flags of a wait for jobs (--wait
	// unless Wait.always, --interval, --wait-timeout) and checks them
	// first; Output receives them.
	Wait *waitFlags
	// Check validates the flags and arguments before a client is made. It
	// may change the settings the client is made with (the IAM commands
	// whose flags hide the caller's).
	Check func(cmd *cobra.Command, args []string, s *settings) error
	// Call calls the API.
	Call func(ctx context.Context, c *client.Client, args []string) (T, error)

	// Output, when set, prints the result instead of the forms below: the
	// asynchronous operations, which print their answer and may wait for
	// their jobs.
	Output func(ctx context.Context, s settings, c *client.Client, v T, wf waitFlags) error
	// IDs, when set, adds -q/--quiet: print only these ids, one a line.
	IDs func(v T) []string
	// JSON is the -o json form; nil: the result itself.
	JSON func(v T) any
	// Table, Fields and Text are the table form, one of them: a table
	// under a header, key/value lines, or text written to a.stdout. A
	// command with none of them prints nothing in any format but what
	// Done prints.
	Table  func(v T) *table
	Fields func(v T) []string
	Text   func(v T) error
	// Tables are shown under the Fields, each after a blank line; the
	// empty ones are left out.
	Tables func(v T) []*table
	// More returns how many items a page shows and how many there are:
	// with Page, the table form tells on stderr that a page is not the
	// whole list.
	More func(v T) (shown, total int)
	// Done runs last, in every format: notes on stderr, messages of
	// commands without a JSON form, the error of a partial failure.
	Done func(args []string, v T) error
}

// none is the result of a call that answers nothing.
type none struct{}

// nothing is the result of a call that answers only an error.
func nothing(err error) (none, error) { return none{}, err }

// build returns the cobra command that c describes.
func (c command[T]) build(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: c.Use, Short: c.Short, Long: c.Long, Example: c.Example, Args: c.Args}
	var quiet bool
	if c.IDs != nil {
		addQuiet(cmd, &quiet)
	}
	if c.Page != nil {
		c.Page.add(cmd)
	}
	if c.Wait != nil {
		c.Wait.add(cmd, !c.Wait.always)
	}
	if c.Flags != nil {
		c.Flags(cmd)
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		var wf waitFlags
		if c.Wait != nil {
			if err := c.Wait.check(); err != nil {
				return err
			}
			wf = *c.Wait
		}
		caller := s
		if c.Check != nil {
			if err := c.Check(cmd, args, &caller); err != nil {
				return err
			}
		}
		cl, err := a.newClient(caller)
		if err != nil {
			return err
		}
		v, err := c.Call(cmd.Context(), cl, args)
		if err != nil {
			return err
		}
		if c.Output != nil {
			err = c.Output(cmd.Context(), caller, cl, v, wf)
		} else {
			err = c.print(a, caller, v, quiet)
		}
		if err != nil || c.Done == nil {
			return err
		}
		return c.Done(args, v)
	})
	return cmd
}

// print prints v in the format that s and quiet ask for.
func (c command[T]) print(a *app, s settings, v T, quiet bool) error {
	switch {
	case quiet:
		return writeIDs(a.stdout, c.IDs(v))
	case c.Table == nil && c.Fields == nil && c.Text == nil:
		return nil
	case s.Output == "json":
		var out any = v
		if c.JSON != nil {
			out = c.JSON(v)
		}
		return writeJSON(a.stdout, out)
	case c.Fields != nil:
		return c.writeFields(a, v)
	case c.Text != nil:
		return c.Text(v)
	}
	if err := c.Table(v).write(a.stdout); err != nil {
		return err
	}
	if c.More != nil && !c.Page.all {
		shown, total := c.More(v)
		a.morePages(c.Page.what, c.Page.sent, shown, total)
	}
	return nil
}

// writeFields writes the Fields of v and its Tables.
func (c command[T]) writeFields(a *app, v T) error {
	if err := writeFields(a.stdout, c.Fields(v)...); err != nil || c.Tables == nil {
		return err
	}
	for _, t := range c.Tables(v) {
		if len(t.rows) == 0 {
			continue
		}
		fmt.Fprintln(a.stdout)
		if err := t.write(a.stdout); err != nil {
			return err
		}
	}
	return nil
}

// stringFlag returns the Flags of a command whose one flag is a string.
func stringFlag(p *string, name, value, usage string) func(cmd *cobra.Command) {
	return func(cmd *cobra.Command) { cmd.Flags().StringVar(p, name, value, usage) }
}

// withID completes c as a command whose one argument is an id that call
// gets.
func withID[T any](c command[T], call idCall[T]) command[T] {
	c.Args = cobra.ExactArgs(1)
	c.Call = func(ctx context.Context, cl *client.Client, args []string) (T, error) { return call(cl, ctx, args[0]) }
	return c
}

// idCall is an API call on one id.
type idCall[T any] func(c *client.Client, ctx context.Context, id string) (T, error)

// answerless adapts an API call on an id that answers only an error.
func answerless(call func(*client.Client, context.Context, string) error) idCall[none] {
	return func(c *client.Client, ctx context.Context, id string) (none, error) { return nothing(call(c, ctx, id)) }
}

// outcomeOf adapts an API call on an id that answers only an error: it
// answers the outcome {key: id, done: true}.
func outcomeOf(key, done string, call func(*client.Client, context.Context, string) error) idCall[outcome] {
	return func(c *client.Client, ctx context.Context, id string) (outcome, error) {
		return outcome{key, id, done}, call(c, ctx, id)
	}
}

// listPages returns the Call of a paged list with the options opts: every
// page with --all (all), else the page of --offset and --limit (one).
func listPages[O, L any](page *pageFlags, opts *O, all, one func(*client.Client, context.Context, O) (L, error)) func(context.Context, *client.Client, []string) (L, error) {
	return func(ctx context.Context, c *client.Client, _ []string) (L, error) {
		if page.all {
			return all(c, ctx, *opts)
		}
		return one(c, ctx, *opts)
	}
}

// pagedList completes c, which has a Page, as a list of a paged collection
// with the options opts: all and one list every page and the page asked
// for; items returns the items of an answer and the size of the whole
// list; -q prints their ids and the table form has the table of rows.
func pagedList[L, O, E any](c command[L], opts *O, all, one func(*client.Client, context.Context, O) (L, error), items func(L) ([]E, int), id func(E) string, rows func([]E) *table) command[L] {
	c.Call = listPages(c.Page, opts, all, one)
	c.IDs = func(l L) []string { es, _ := items(l); return ids(es, id) }
	c.Table = func(l L) *table { es, _ := items(l); return rows(es) }
	c.More = func(l L) (int, int) { es, total := items(l); return len(es), total }
	return c
}

// ids returns the id of each item.
func ids[E any](items []E, id func(E) string) []string { return each(items, id) }

// each returns f of every item, in order.
func each[E, T any](items []E, f func(E) T) []T {
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = f(it)
	}
	return out
}
