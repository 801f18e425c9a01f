// Command vcsim serves govmomi's vCenter simulator for the avsdr.site_recovery emulated estate.
//
// It starts an empty vCenter model (no datacenter: seed.py builds the AVS-like inventory over the API) and serves
// the SOAP API over TLS with the certificate given by -tlscert/-tlskey. The flags it shares with upstream vcsim
// (-l, -username, -password, -tlscert, -tlskey, -dc, -E) mean the same, so the harness drives either binary alike.
//
// On top of govmomi's model it answers VirtualMachine.UpgradeTools_Task, which the simulator of govmomi 0.24 does
// not implement (section at the end; -tools-upgrade-time sets how long the task runs), and it reports a guest's
// VMware Tools the way vCenter does across power operations: not running while the VM is off, running once the
// guest has booted (-boot-time after a power-on) unless the guest's tools are disabled (toolsboot.go).
package main

import (
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func main() {
	model := simulator.VPX()
	model.Datacenter = 0
	model.Autostart = false

	listen := flag.String("l", "127.0.0.1:8989", "listen address (host:port)")
	username := flag.String("username", "", "login user name (required)")
	password := flag.String("password", "", "login password (required)")
	certFile := flag.String("tlscert", "", "PEM certificate served over TLS (required)")
	keyFile := flag.String("tlskey", "", "PEM private key of -tlscert (required)")
	envOut := flag.String("E", "-", "where to write the 'export VCSIM_URL=... VCSIM_PID=...' line ('-' = stdout)")
	flag.IntVar(&model.Datacenter, "dc", model.Datacenter, "number of generated datacenters (0: empty inventory)")
	upgradeTime := flag.Duration("tools-upgrade-time", 2*time.Second, "how long an UpgradeTools_Task runs")
	bootTime := flag.Duration("boot-time", defaultBootTime(), "how long a guest takes to boot before its VMware Tools "+
		"run (default: $VCSIM_BOOT_TIME, else 2s)")
	flag.Parse()

	if *username == "" || *password == "" || *certFile == "" || *keyFile == "" {
		flag.Usage()
		os.Exit(2)
	}

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatalf("vcsim: loading TLS key pair: %v", err)
	}

	model.ServiceContent.About.FullName += " (govmomi simulator, avsdr.site_recovery emulated AVS)"
	if err = model.Create(); err != nil {
		log.Fatalf("vcsim: creating model: %v", err)
	}
	defer model.Remove()

	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	server := model.Service.NewServer()
	defer server.Close()
	host, _, err := net.SplitHostPort(server.URL.Host)
	if err != nil {
		log.Fatalf("vcsim: served address %q: %v", server.URL.Host, err)
	}
	serveToolsUpgrades(model.Service, host, *upgradeTime)
	reportToolsAcrossPowerOperations(*bootTime)

	// The URL without its credentials: the line ends up in log files.
	served := *server.URL
	served.User = nil
	if err = writeEnvLine(*envOut, fmt.Sprintf("export VCSIM_URL=%s VCSIM_PID=%d\n", served.String(), os.Getpid())); err != nil {
		log.Fatalf("vcsim: %v", err)
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}

func writeEnvLine(target, line string) error {
	if target == "-" {
		_, err := os.Stdout.WriteString(line)
		return err
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err = out.WriteString(line); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ---- VirtualMachine.UpgradeTools_Task ---------------------------------------------------------------------------
//
// govmomi 0.24 dispatches a SOAP call to the method of the object its registry holds for `_this`. Putting a wrapper
// around each VM there (as simulator/example_extend_test.go does) breaks the simulator: much of it type-asserts VMs
// to *simulator.VirtualMachine, and its property collector cannot read through a wrapper that embeds the pointer.
// So VMs stay as they are; an UpgradeTools_Task request for an existing VM is re-addressed, on its way in, to a
// companion object of type toolsUpgraderType, registered the first time it is needed. Session checks, locking and
// the SOAP encoding stay the simulator's own.

const (
	toolsUpgraderType = "VirtualMachineToolsUpgrader"
	// VMware Tools 12.5.0 (version numbers encode major<<10 | minor<<5 | patch).
	upgradedToolsVersion = 12<<10 | 5<<5
)

var (
	upgradeToolsCall = regexp.MustCompile(`<(?:[\w.-]+:)?UpgradeTools_Task[\s>/]`)
	vmThis           = regexp.MustCompile(`(<(?:[\w.-]+:)?_this\b[^>]*\btype=")VirtualMachine("[^>]*>)\s*([^<\s]+)\s*(<)`)
	upgradersMu      sync.Mutex
)

// serveToolsUpgrades routes the /sdk requests for the served host through readdressUpgradeTools: a host-specific
// ServeMux pattern takes precedence over the simulator's plain "/sdk". A client that names the server otherwise
// (not the listen address, nor localhost for a loopback one) gets the simulator's MethodNotFound.
func serveToolsUpgrades(service *simulator.Service, host string, taskTime time.Duration) {
	hosts := []string{host}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		hosts = append(hosts, "localhost")
	}
	handler := readdressUpgradeTools(http.HandlerFunc(service.ServeSDK), taskTime)
	for _, name := range hosts {
		for _, path := range []string{"/sdk", "/sdk/vimService"} {
			service.ServeMux.Handle(name+path, handler)
		}
	}
}

func readdressUpgradeTools(next http.Handler, taskTime time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if upgradeToolsCall.Match(body) {
				body = vmThis.ReplaceAllFunc(body, func(this []byte) []byte {
					parts := vmThis.FindSubmatch(this)
					upgrader := upgraderFor(types.ManagedObjectReference{Type: "VirtualMachine", Value: string(parts[3])}, taskTime)
					if upgrader == nil {
						return this // no such VM: the simulator answers ManagedObjectNotFound for it
					}
					ref := upgrader.Self
					return bytes.Join([][]byte{parts[1], []byte(ref.Type), parts[2], []byte(ref.Value), parts[4]}, nil)
				})
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

// upgraderFor returns the VM's companion, registering it the first time; nil when there is no such VM.
func upgraderFor(vmRef types.ManagedObjectReference, taskTime time.Duration) *toolsUpgrader {
	vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine)
	if !ok {
		return nil
	}
	// Not the VM's moid: the simulator matches some lookups by moid alone (Fetch on a ManagedEntity).
	self := types.ManagedObjectReference{Type: toolsUpgraderType, Value: vmRef.Value + "-tools"}
	upgradersMu.Lock()
	defer upgradersMu.Unlock()
	if upgrader, ok := simulator.Map.Get(self).(*toolsUpgrader); ok && upgrader.vm == vm {
		return upgrader
	}
	upgrader := &toolsUpgrader{vm: vm, taskTime: taskTime}
	upgrader.Self = self
	simulator.Map.Put(upgrader)
	return upgrader
}

// toolsUpgrader answers UpgradeTools_Task for one VM.
type toolsUpgrader struct {
	// First, so that the simulator finds an mo type in it: searches dig one out of every object in the registry.
	mo.ExtensibleManagedObject

	vm       *simulator.VirtualMachine
	taskTime time.Duration
	running  *types.ManagedObjectReference // the upgrade in progress; guarded by the VM's registry lock
}

// UpgradeToolsTask starts the task. A VM that cannot be upgraded fails the task at once, as vCenter does; otherwise
// the installer "runs" for taskTime, then the tools report themselves current.
func (u *toolsUpgrader) UpgradeToolsTask(req *types.UpgradeTools_Task) soap.HasFault {
	task := simulator.CreateTask(u.vm, "upgradeToolsTask", nil)
	var refusal types.BaseMethodFault
	var message string
	simulator.Map.WithLock(u.vm, func() {
		refusal, message = u.refusal()
		if refusal == nil {
			u.running = &task.Self
		}
	})
	go u.run(task, refusal, message)
	return &methods.UpgradeTools_TaskBody{Res: &types.UpgradeTools_TaskResponse{Returnval: task.Self}}
}

// refusal is why vCenter would not start an upgrade of this VM's tools now (nil: it would).
func (u *toolsUpgrader) refusal() (types.BaseMethodFault, string) {
	vm := u.vm
	switch {
	case simulator.Map.Get(vm.Self) == nil:
		return &types.ManagedObjectNotFound{Obj: vm.Self}, "The object has already been deleted or has not been completely created"
	case vm.Config != nil && vm.Config.Template:
		return &types.NotSupported{}, "The operation is not supported on a template"
	case u.running != nil:
		return &types.TaskInProgress{Task: *u.running}, "Another task is already in progress: a VMware Tools upgrade"
	case vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn:
		return &types.InvalidState{}, fmt.Sprintf("The attempted operation cannot be performed in the current state (%s)", vm.Runtime.PowerState)
	case vm.Guest == nil || vm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning):
		return &types.ToolsUnavailable{}, "Cannot complete operation because VMware Tools is not running in this virtual machine"
	}
	switch types.VirtualMachineToolsVersionStatus(vm.Guest.ToolsVersionStatus2) {
	case types.VirtualMachineToolsVersionStatusGuestToolsCurrent, types.VirtualMachineToolsVersionStatusGuestToolsTooNew:
		return &types.ToolsAlreadyUpgraded{}, "VMware Tools in this virtual machine are already up to date"
	case types.VirtualMachineToolsVersionStatusGuestToolsUnmanaged:
		return &types.ToolsAutoUpgradeNotSupported{}, "The guest operating system manages VMware Tools in this virtual machine"
	}
	return nil, ""
}

func (u *toolsUpgrader) run(task *simulator.Task, refusal types.BaseMethodFault, message string) {
	simulator.Map.Update(task, []types.PropertyChange{
		{Name: "info.startTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateRunning},
	})
	if refusal == nil {
		time.Sleep(u.taskTime)
		simulator.Map.WithLock(u.vm, func() {
			u.running = nil
			refusal, message = u.finish()
		})
	}
	end := []types.PropertyChange{
		{Name: "info.completeTime", Val: time.Now()},
		{Name: "info.state", Val: types.TaskInfoStateSuccess},
	}
	if refusal != nil {
		end[1].Val = types.TaskInfoStateError
		// The message vCenter would show, not the simulator's Go type name.
		end = append(end, types.PropertyChange{
			Name: "info.error", Val: &types.LocalizedMethodFault{Fault: refusal, LocalizedMessage: message},
		})
	}
	simulator.Map.Update(task, end)
}

// finish ends an accepted upgrade: the tools restart at the new version, unless the VM went away meanwhile.
func (u *toolsUpgrader) finish() (types.BaseMethodFault, string) {
	vm := u.vm
	switch {
	case simulator.Map.Get(vm.Self) == nil:
		return &types.ManagedObjectNotFound{Obj: vm.Self}, "The virtual machine was deleted during the VMware Tools upgrade"
	case vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn:
		return &types.ToolsUpgradeCancelled{}, "The virtual machine was powered off during the VMware Tools upgrade"
	}
	current := string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)
	running := string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
	simulator.Map.Update(vm, []types.PropertyChange{
		{Name: "guest.toolsVersionStatus2", Val: current},
		{Name: "guest.toolsVersionStatus", Val: current},
		{Name: "guest.toolsVersion", Val: fmt.Sprint(upgradedToolsVersion)},
		{Name: "guest.toolsRunningStatus", Val: running},
		{Name: "guest.toolsStatus", Val: types.VirtualMachineToolsStatusToolsOk},
		{Name: "summary.guest.toolsVersionStatus2", Val: current},
		{Name: "summary.guest.toolsVersionStatus", Val: current},
		{Name: "summary.guest.toolsRunningStatus", Val: running},
		{Name: "summary.guest.toolsStatus", Val: types.VirtualMachineToolsStatusToolsOk},
		{Name: "config.tools.toolsVersion", Val: int32(upgradedToolsVersion)},
	})
	return nil, ""
}
