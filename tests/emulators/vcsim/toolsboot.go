package main

// VMware Tools across power operations, as vCenter reports them.
//
// govmomi 0.24's simulator leaves guest.toolsRunningStatus wherever it was: a VM powered on through the API never
// shows its tools running, and a VM powered off keeps showing them running. A real vCenter reports the tools of a
// powered-off VM as not running, and those of a powered-on VM as running once the guest has booted and the tools
// service has started -- unless that service is disabled in the guest (ASR disables it in Windows guests it fails
// over to Azure). The simulator does not model the guest, so whether the tools service is disabled is an
// extraConfig key the seeding and the ASR emulator's coupling write: toolsDisabledKey = "TRUE" (the last value
// written wins; any other value, or none, means enabled).
//
// A registry handler sees every power state change (whoever made it: a client's PowerOnVM_Task, a reset, a host
// operation). A power-off marks the tools not running; a power-on starts a boot timer after which the tools are
// reported running if they are enabled and the VM is still on from that same power-on.

import (
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	toolsDisabledKey = "avsdr.toolsDisabled"
	toolsBootType    = "AvsdrToolsBoot"
)

// defaultBootTime is $VCSIM_BOOT_TIME (a Go duration, or a number of seconds), else 2 s. The harness sets it from
// the scenario's timing.boot_minutes and the time scale, so that a guest boots in the same emulated time as in the
// ASR emulator; an environment variable, so that an upstream vcsim started the same way simply ignores it.
func defaultBootTime() time.Duration {
	value := strings.TrimSpace(os.Getenv("VCSIM_BOOT_TIME"))
	if value == "" {
		return 2 * time.Second
	}
	if d, err := time.ParseDuration(value); err == nil {
		return d
	}
	if d, err := time.ParseDuration(value + "s"); err == nil {
		return d
	}
	return 2 * time.Second
}

// toolsBoot is the registry handler. It is no managed object: only its reference keys it among the handlers.
type toolsBoot struct {
	bootTime    time.Duration
	mu          sync.Mutex
	generations map[types.ManagedObjectReference]uint64 // per VM, bumped by each power state change
}

func reportToolsAcrossPowerOperations(bootTime time.Duration) {
	simulator.Map.AddHandler(&toolsBoot{bootTime: bootTime, generations: map[types.ManagedObjectReference]uint64{}})
}

func (t *toolsBoot) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: toolsBootType, Value: "tools-boot"}
}

func (t *toolsBoot) PutObject(mo.Reference) {}

func (t *toolsBoot) RemoveObject(ref types.ManagedObjectReference) {
	t.mu.Lock()
	delete(t.generations, ref)
	t.mu.Unlock()
}

// UpdateObject runs inside Map.Update, with the VM's lock held by whoever changed it: only note the change here and
// act from a goroutine.
func (t *toolsBoot) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	ref := obj.Reference()
	if ref.Type != "VirtualMachine" {
		return
	}
	for _, change := range changes {
		if change.Name != "runtime.powerState" {
			continue
		}
		state, ok := change.Val.(types.VirtualMachinePowerState)
		if !ok {
			continue
		}
		t.mu.Lock()
		t.generations[ref]++
		generation := t.generations[ref]
		t.mu.Unlock()
		switch state {
		case types.VirtualMachinePowerStatePoweredOn:
			time.AfterFunc(t.bootTime, func() { t.booted(ref, generation) })
		case types.VirtualMachinePowerStatePoweredOff:
			go t.stopped(ref, generation)
		}
	}
}

func (t *toolsBoot) current(ref types.ManagedObjectReference, generation uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.generations[ref] == generation
}

// booted: the guest has come up; its tools run unless disabled.
func (t *toolsBoot) booted(ref types.ManagedObjectReference, generation uint64) {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	simulator.Map.WithLock(vm, func() {
		if !t.current(ref, generation) || vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			return
		}
		if toolsDisabled(vm) {
			return
		}
		simulator.Map.Update(vm, toolsRunning(true))
	})
}

// stopped: a powered-off guest runs no tools.
func (t *toolsBoot) stopped(ref types.ManagedObjectReference, generation uint64) {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	simulator.Map.WithLock(vm, func() {
		if !t.current(ref, generation) || vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
			return
		}
		simulator.Map.Update(vm, toolsRunning(false))
	})
}

func toolsDisabled(vm *simulator.VirtualMachine) bool {
	if vm.Config == nil {
		return false
	}
	disabled := false
	for _, option := range vm.Config.ExtraConfig {
		value := option.GetOptionValue()
		if value.Key == toolsDisabledKey {
			text, _ := value.Value.(string)
			disabled = strings.EqualFold(strings.TrimSpace(text), "true")
		}
	}
	return disabled
}

// toolsRunning: the same properties the ASR emulator's coupling writes (vcenter_coupling.TOOLS_RUNNING / _NOT_RUNNING).
func toolsRunning(running bool) []types.PropertyChange {
	runningStatus := string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
	status := types.VirtualMachineToolsStatusToolsNotRunning
	if running {
		runningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		status = types.VirtualMachineToolsStatusToolsOk
	}
	return []types.PropertyChange{
		{Name: "guest.toolsRunningStatus", Val: runningStatus},
		{Name: "guest.toolsStatus", Val: status},
		{Name: "summary.guest.toolsRunningStatus", Val: runningStatus},
		{Name: "summary.guest.toolsStatus", Val: status},
	}
}
