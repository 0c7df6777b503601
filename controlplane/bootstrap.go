package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

// publicImages returns the phone images every project can use.
func publicImages() []sqlstore.Image {
	return []sqlstore.Image{
		{ID: "a1b2c3d4e5f60718293a4b5c6d7e8f11", Name: "Android 11 (AOSP)", OSType: "Android", OSName: "Android 11", Label: "cloud_phone", Version: "AOSP 11.0", IsPublic: true},
		{ID: "a1b2c3d4e5f60718293a4b5c6d7e8f12", Name: "Android 12 (AOSP)", OSType: "Android", OSName: "Android 12", Label: "cloud_phone", Version: "AOSP 12.0", IsPublic: true},
	}
}

// bootstrap creates the first account, user and project if the database
// has no account yet, and seeds the public images.
func bootstrap(ctx context.Context, db *sqlstore.DB, cfg Config) (BootstrapResult, error) {
	b := cfg.Bootstrap
	if b.Domain == "" {
		b.Domain = "opencph"
	}
	if b.User == "" {
		b.User = b.Domain
	}
	if b.Project == "" {
		b.Project = "cn-north-4"
	}
	res := BootstrapResult{Domain: b.Domain, User: b.User, Project: b.Project}
	generated := false
	if b.Password == "" {
		b.Password = iam.GeneratePassword()
		generated = true
	}
	hash, err := iam.HashPassword(b.Password)
	if err != nil {
		return res, err
	}
	err = db.Tx(ctx, func(tx *sqlstore.Tx) error {
		for _, im := range publicImages() {
			if err := tx.CreateImage(ctx, &im); err != nil {
				return err
			}
		}
		if _, err := tx.Meta(ctx, "bootstrap_domain"); err == nil {
			return nil // bootstrapped before
		} else if !errors.Is(err, sqlstore.ErrNotFound) {
			return err
		}
		// Create the account, or adopt one of that name made earlier with
		// "cphd admin", creating what it lacks.
		d, err := tx.DomainByName(ctx, b.Domain)
		if errors.Is(err, sqlstore.ErrNotFound) {
			d = &cph.Domain{ID: cph.NewID(), Name: b.Domain, Enabled: true}
			err = tx.CreateDomain(ctx, d)
		}
		if err != nil {
			return err
		}
		u, err := tx.UserByName(ctx, d.ID, b.User)
		if errors.Is(err, sqlstore.ErrNotFound) {
			u = &cph.User{ID: cph.NewID(), DomainID: d.ID, Name: b.User, PasswordHash: hash, Enabled: true, IsAdmin: true}
			err = tx.CreateUser(ctx, u)
			res.Created = true
		}
		if err != nil {
			return err
		}
		p, err := tx.ProjectByName(ctx, d.ID, b.Project)
		if errors.Is(err, sqlstore.ErrNotFound) {
			p = &cph.Project{ID: cph.NewID(), DomainID: d.ID, Name: b.Project, Enabled: true, Description: "created at bootstrap"}
			err = tx.CreateProject(ctx, p)
		}
		if err != nil {
			return err
		}
		for k, v := range map[string]string{"bootstrap_domain": d.ID, "bootstrap_user": u.ID, "bootstrap_project": p.ID} {
			if _, err := tx.SetMetaIfAbsent(ctx, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("controlplane: bootstrap: %w", err)
	}
	domainID, err := db.Meta(ctx, "bootstrap_domain")
	if err != nil {
		return res, fmt.Errorf("controlplane: bootstrap account: %w", err)
	}
	projectID, err := db.Meta(ctx, "bootstrap_project")
	if err != nil {
		return res, fmt.Errorf("controlplane: bootstrap project: %w", err)
	}
	userID, err := db.Meta(ctx, "bootstrap_user")
	if err != nil {
		return res, fmt.Errorf("controlplane: bootstrap user: %w", err)
	}
	d, err := db.DomainByID(ctx, domainID)
	if err != nil {
		return res, err
	}
	// The first user may have been deleted since (another admin remained).
	u, err := db.UserByID(ctx, userID)
	if errors.Is(err, sqlstore.ErrNotFound) {
		u = &cph.User{}
	} else if err != nil {
		return res, err
	}
	p, err := db.ProjectByID(ctx, projectID)
	if err != nil {
		return res, err
	}
	res.Domain, res.User, res.Project, res.ProjectID = d.Name, u.Name, p.Name, p.ID
	file := filepath.Join(cfg.DataDir, PasswordFile)
	switch {
	case res.Created && generated:
		if err := os.WriteFile(file, []byte(b.Password+"\n"), 0o600); err != nil {
			return res, fmt.Errorf("controlplane: write %s: %w", file, err)
		}
		res.Password, res.PasswordFile = b.Password, file
	case res.Created:
		res.Password = b.Password
	default:
		if pw, err := os.ReadFile(file); err == nil {
			res.Password, res.PasswordFile = strings.TrimSpace(string(pw)), file
		} else if !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("controlplane: read %s: %w", file, err)
		}
	}
	return res, nil
}

// fleetServer is a built-in simulated server.
type fleetServer struct {
	id   string
	name string
}

// ensureFleet makes sure built-in servers 1..cfg.SimServers exist (creating
// the missing ones with their phones, recorded with this replica's runtime)
// and returns them. It never creates a server twice, so restarts keep the
// fleet as it is.
func ensureFleet(ctx context.Context, db *sqlstore.DB, cfg Config, projectID string) ([]fleetServer, error) {
	perServer := cfg.SimPhonesPerServer
	var out []fleetServer
	err := db.Tx(ctx, func(tx *sqlstore.Tx) error {
		out = out[:0]
		existing, err := tx.BuiltinServers(ctx)
		if err != nil {
			return err
		}
		byIndex := map[int]*cph.Server{}
		for _, s := range existing {
			byIndex[s.BuiltinIndex] = s
		}
		for i := 1; i <= cfg.SimServers; i++ {
			if s, ok := byIndex[i]; ok {
				out = append(out, fleetServer{id: s.ID, name: s.Name})
				continue
			}
			s, err := createSimServer(ctx, tx, projectID, i, perServer)
			if err != nil {
				return err
			}
			if err := tx.SetFleetRuntime(ctx, s.ID, cfg.Runtime); err != nil {
				return err
			}
			out = append(out, fleetServer{id: s.ID, name: s.Name})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("controlplane: create simulated fleet: %w", err)
	}
	return out, nil
}

// createSimServer creates built-in server number i with n running phones.
func createSimServer(ctx context.Context, tx *sqlstore.Tx, projectID string, i, n int) (*cph.Server, error) {
	proj, err := projectName(ctx, tx, projectID)
	if err != nil {
		return nil, err
	}
	az := proj + "a"
	s := &cph.Server{
		ID: cph.NewID(), ProjectID: projectID, Name: fmt.Sprintf("sim-server-%02d", i), AvailabilityZone: az,
		ModelName: "physical.rx1.xlarge", PhoneModelName: "rx1.cp.c15.d46.e1v1", Status: cph.ServerNormal,
		VPCID: cph.NewUUID(), CIDR: "172.16.0.0/12", SubnetID: cph.NewUUID(), SubnetCIDR: fmt.Sprintf("172.%d.%d.0/24", 16+i/256%16, i%256),
		Addresses:      []cph.Address{{ServerIP: fmt.Sprintf("172.%d.%d.10", 16+i/256%16, i%256)}},
		Metadata:       cph.ServerMetadata{OrderID: "CS" + strings.ToUpper(cph.NewID()[:14]), ProductID: "00301-232211-0--0"},
		NetworkVersion: "v1", BuiltinIndex: i,
	}
	if err := tx.CreateServer(ctx, s); err != nil {
		return nil, err
	}
	img := publicImages()[0]
	for j := 1; j <= n; j++ {
		p := &cph.Phone{
			ID: cph.NewID(), ProjectID: projectID, ServerID: s.ID, Index: j, Name: fmt.Sprintf("%s-%04d", s.Name, j),
			ModelName: s.PhoneModelName, ImageID: img.ID, ImageVersion: img.Version, VNCEnable: "false",
			Status: cph.PhoneRunning, Type: 0, IMEI: cph.NewIMEI(), TrafficType: "direct", AvailabilityZone: az,
			Metadata: cph.PhoneMetadata{OrderID: s.Metadata.OrderID, ProductID: s.Metadata.ProductID},
			Property: "{}", IP: fmt.Sprintf("10.%d.%d.%d", i%256, j/250%256, j%250+2),
			DataVolumeType: "SSD", DataVolumeSize: 16,
		}
		if err := tx.CreatePhone(ctx, p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func projectName(ctx context.Context, tx *sqlstore.Tx, projectID string) (string, error) {
	return tx.ProjectNameByID(ctx, projectID)
}
