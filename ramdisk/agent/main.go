// Command anvil-agent runs in Anvil's deploy ramdisk: it asks the manager what
// to do (inspect, deploy, wipe, wait, poweroff), does it and reports back.
// The wire protocol is docs/agent-protocol.md; the choice of Go over a shell
// script is docs/adr/0006-ramdisk-agent.md. Standard library only.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

func say(format string, args ...any) {
	up, _, _ := strings.Cut(readTrim("/proc/uptime"), " ")
	fmt.Fprintf(os.Stderr, "anvil-agent: ["+up+"] "+format+"\n", args...)
}

// cmdlineArg reads key=value from the kernel command line. The token read this
// way is never printed: /proc/cmdline is only readable inside the ramdisk.
func cmdlineArg(cmdline, key string) string {
	for _, word := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(word, key+"="); ok {
			return v
		}
	}
	return ""
}

func main() {
	raw, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		say("cannot read /proc/cmdline: %v", err)
		os.Exit(1)
	}
	api := cmdlineArg(string(raw), "anvil.api")
	token := cmdlineArg(string(raw), "anvil.token")
	if api == "" || token == "" {
		say("anvil.api and anvil.token must be on the kernel command line")
		os.Exit(1)
	}
	c := newClient(api, token)
	say("manager %s", api)
	run(c)
}

// run polls for instructions forever; a failed action is reported, never fatal,
// so the manager can always tell the host what to do next.
func run(c *client) {
	failures := 0
	for {
		ins, err := c.instructions()
		if err != nil {
			failures++
			say("instructions: %v", err)
			time.Sleep(backoff(failures))
			continue
		}
		failures = 0
		switch ins.Action {
		case "wait":
			time.Sleep(time.Duration(max(ins.RetryAfterSeconds, 1)) * time.Second)
		case "poweroff":
			say("powering off")
			_ = exec.Command("sync").Run()
			_ = exec.Command("poweroff", "-f").Run()
			time.Sleep(time.Minute)
		case "inspect", "deploy", "wipe":
			say("action %s", ins.Action)
			res := perform(c, ins)
			if res.Ok {
				say("action %s done", ins.Action)
			} else {
				say("action %s failed: %s", ins.Action, res.Error.Code)
			}
			if err := c.postRetrying("/result", res, postAttempts, sleepBackoff); err != nil {
				say("result not accepted: %v", err)
			}
		default:
			say("unknown action %q", ins.Action)
			time.Sleep(5 * time.Second)
		}
	}
}

// postAttempts bounds the retries of one result or inventory post (~4.5 min with backoff).
const postAttempts = 30

func sleepBackoff(n int) { time.Sleep(backoff(n)) }

func backoff(n int) time.Duration {
	d := time.Duration(1<<min(n, 5)) * 250 * time.Millisecond
	return min(d, 10*time.Second)
}

func perform(c *client, ins *Instructions) Result {
	var err error
	res := Result{Action: ins.Action, Ok: true}
	switch ins.Action {
	case "inspect":
		var hw *Hardware
		hw, err = inspect()
		if err == nil {
			err = c.postRetrying("/inventory", InventoryReport{Hardware: hw}, postAttempts, sleepBackoff)
			if err != nil {
				err = &AgentError{Code: "INVENTORY_REJECTED", Message: err.Error()}
			}
		}
	case "deploy":
		var dev string
		dev, err = deploy(c, ins)
		res.RootDevice = dev
	case "wipe":
		res.Wiped, err = wipe(c, ins)
	}
	if err != nil {
		var ae *AgentError
		if !errors.As(err, &ae) {
			ae = &AgentError{Code: "INTERNAL", Message: err.Error()}
		}
		res.Ok = false
		res.Error = ae
	}
	return res
}
