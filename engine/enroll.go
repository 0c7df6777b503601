package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// EnrollSpec describes a phone server whose agent enrolls itself.
type EnrollSpec struct {
	ProjectID string
	Name      string
	Phones    int
	// ImageID is the image the phones run.
	ImageID string
	// AgentTokenHash, if set, is the hash of the credential of the
	// server's agent, stored with the server: the enrolment and the
	// credential the agent is handed commit together or not at all.
	AgentTokenHash string
}

// MaxEnrolledPhones is the most phones an enrolling server may declare.
const MaxEnrolledPhones = 1000

// EnrollServer records a server run by its own agent (cph-agent): a
// normal server with Phones running phones and its agent's credential
// (AgentTokenHash), in one transaction.
func (e *Engine) EnrollServer(ctx context.Context, spec EnrollSpec) (*cph.Server, error) {
	if spec.Phones < 0 || spec.Phones > MaxEnrolledPhones {
		return nil, fmt.Errorf("engine: enroll: %d phones (0 to %d)", spec.Phones, MaxEnrolledPhones)
	}
	// What needs no read (ids, IMEIs, addresses: random numbers, 15 per
	// phone) is made before the transaction, so that it holds the
	// project's phone count for less time (see CreateServerPhones).
	pm := cph.PhoneModels()[0]
	srv := &cph.Server{
		ID: cph.NewID(), ProjectID: spec.ProjectID, Name: spec.Name,
		ModelName: pm.ServerModelName, PhoneModelName: pm.PhoneModelName, Status: cph.ServerNormal,
		VPCID: cph.NewUUID(), CIDR: "172.16.0.0/12", SubnetID: cph.NewUUID(), SubnetCIDR: "172.16.0.0/24",
		Addresses:      []cph.Address{{ServerIP: cph.RandomIP("172.16")}},
		Metadata:       cph.ServerMetadata{OrderID: "CS" + strings.ToUpper(cph.NewID()[:14]), ProductID: "00301-232211-0--0"},
		NetworkVersion: "v1",
	}
	// The phones' ids are time-ordered (as job ids are): a server's
	// phones then go to the end of the id index together, instead of
	// a thousand random places in it (at a million phones, on
	// PostgreSQL, that was most of the pages an enrolment wrote).
	//
	// Phones are named <server name>-<4-digit index>; if any of those
	// names is taken (another server of that name, a renamed phone), alt,
	// with the start of the server's id, makes them unique.
	phones := make([]*cph.Phone, spec.Phones)
	alt := make([]string, spec.Phones)
	for j := range phones {
		alt[j] = fmt.Sprintf("%s-%s-%04d", srv.Name, srv.ID[:6], j+1)
		phones[j] = &cph.Phone{
			ID: cph.NewOrderedID(), ProjectID: srv.ProjectID, ServerID: srv.ID, Index: j + 1, Name: fmt.Sprintf("%s-%04d", srv.Name, j+1),
			ModelName: pm.PhoneModelName, VNCEnable: "false", Status: cph.PhoneRunning, IMEI: cph.NewIMEI(), TrafficType: "direct",
			Metadata: cph.PhoneMetadata{OrderID: srv.Metadata.OrderID, ProductID: srv.Metadata.ProductID},
			Property: "{}", IP: cph.RandomIP("10.0"), DataVolumeType: "SSD", DataVolumeSize: 16,
		}
	}
	err := e.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		img, err := tx.UsableImage(ctx, spec.ProjectID, spec.ImageID)
		if err != nil {
			return fmt.Errorf("engine: enroll: image: %w", err)
		}
		proj, err := tx.ProjectNameByID(ctx, spec.ProjectID)
		if err != nil {
			return err
		}
		srv.AvailabilityZone = proj + "a"
		if err := tx.CreateServer(ctx, srv); err != nil {
			return err
		}
		if spec.AgentTokenHash != "" {
			if err := tx.SetAgentTokenHash(ctx, srv.ID, spec.AgentTokenHash); err != nil {
				return err
			}
		}
		for _, p := range phones {
			p.ImageID, p.ImageVersion, p.AvailabilityZone = img.ID, img.Version, srv.AvailabilityZone
		}
		// One statement per table, not two per phone: on PostgreSQL a
		// statement is a round trip.
		_, err = tx.CreateServerPhones(ctx, phones, alt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return srv, nil
}
