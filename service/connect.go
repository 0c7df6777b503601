package service

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Connection tickets are HMAC-signed, short-lived opaque tokens.
const (
	// ticketTTL is how long a connection ticket is valid.
	ticketTTL = 5 * time.Minute
	// ticketKeyMeta is the meta key under which the ticket signing key is
	// kept in the database, so that every replica and restart shares it.
	ticketKeyMeta = "connect_ticket_key"
)

// ticketClaims is the signed content of a connection ticket.
type ticketClaims struct {
	ProjectID  string `json:"prj"`
	PhoneID    string `json:"phn"`
	ServerID   string `json:"srv"`
	SessionID  string `json:"sid"`
	ClientType string `json:"cli"`
	AccessIP   string `json:"aip"`
	AccessPort int32  `json:"apt"`
	IssuedAt   int64  `json:"iat"` // Unix milliseconds
	ExpiresAt  int64  `json:"exp"` // Unix milliseconds
}

// ticketKey returns the ticket signing key, creating it on first use.
func (s *Services) ticketKey(ctx context.Context) ([]byte, error) {
	v, err := s.db.Meta(ctx, ticketKeyMeta)
	if errors.Is(err, sqlstore.ErrNotFound) {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("ticket key: %w", err)
		}
		err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
			v, err = tx.SetMetaIfAbsent(ctx, ticketKeyMeta, hex.EncodeToString(b[:]))
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("ticket key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("ticket key: stored key is malformed")
	}
	return key, nil
}

// signTicket returns the ticket for c: base64url(JSON claims) "."
// base64url(HMAC-SHA256(key, first part)).
func signTicket(key []byte, c ticketClaims) (string, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("sign ticket: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

// errInvalidTicket is the error of a ticket that is forged, damaged or
// expired (CPS.0021).
var errInvalidTicket = cph.ErrTicketInvalid()

// verifyTicket checks a ticket's signature and expiry and returns its
// claims.
func verifyTicket(key []byte, ticket string, now time.Time) (*ticketClaims, error) {
	payload, sig, ok := strings.Cut(ticket, ".")
	if !ok {
		return nil, errInvalidTicket
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return nil, errInvalidTicket
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(payload))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return nil, errInvalidTicket
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, errInvalidTicket
	}
	var c ticketClaims
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, errInvalidTicket
	}
	if now.UnixMilli() >= c.ExpiresAt {
		return nil, errInvalidTicket
	}
	return &c, nil
}

// ShowConnectInfos implements cph.PhoneService. A ticket grants access to
// a phone, so only users who may change the project get one.
func (s *Services) ShowConnectInfos(ctx context.Context, clientType string, phoneIDs []string) (*cph.ConnectInfos, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if len(phoneIDs) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	if len(phoneIDs) > cph.MaxConnectPhones {
		return nil, cph.ErrTooManyItems("phone_ids", cph.MaxConnectPhones)
	}
	if !cph.ValidClientType(clientType) {
		return nil, cph.ErrInvalidParameter("client_type")
	}
	key, err := s.ticketKey(ctx)
	if err != nil {
		return nil, err
	}
	out := &cph.ConnectInfos{ConnectInfos: []cph.ConnectInfo{}, Errors: []cph.ConnectErrorInfo{}}
	refuse := func(id, code, msg string) {
		out.Errors = append(out.Errors, cph.ConnectErrorInfo{PhoneID: id, ErrorCode: code, ErrorMsg: msg})
	}
	for _, id := range dedupe(slices.Clone(phoneIDs)) {
		if !cph.ValidID(id) {
			refuse(id, cph.CodeInvalidPhoneID, "Parameter: phone_id is invalid.")
			continue
		}
		ph, err := s.db.PhoneByID(ctx, p.ProjectID, id)
		if errors.Is(err, sqlstore.ErrNotFound) {
			refuse(id, cph.CodePhoneNotFound, "Phone not found.")
			continue
		} else if err != nil {
			return nil, fmt.Errorf("connection info: %w", err)
		}
		if ph.Status != cph.PhoneRunning {
			refuse(id, cph.CodePhoneNotAvailable, fmt.Sprintf("Not available phone (phone status %d).", ph.Status))
			continue
		}
		serverIP, publicIP, err := s.phoneServerIPs(ctx, p.ProjectID, ph)
		if err != nil {
			return nil, err
		}
		accessIP, intranetIP, accessPort := publicIP, serverIP, phoneAccessPort(ph)
		if a, ok, err := s.db.PhoneAccess(ctx, ph.ID); err != nil {
			return nil, fmt.Errorf("access of phone %s: %w", ph.ID, err)
		} else if ok {
			accessIP, accessPort = a.AccessIP, int32(a.AccessPort)
			if a.IntranetIP != "" {
				intranetIP = a.IntranetIP
			}
		}
		now := time.Now()
		c := ticketClaims{
			ProjectID: p.ProjectID, PhoneID: ph.ID, ServerID: ph.ServerID, SessionID: cph.NewID(),
			ClientType: clientType, AccessIP: accessIP, AccessPort: accessPort,
			IssuedAt: now.UnixMilli(), ExpiresAt: now.Add(ticketTTL).UnixMilli(),
		}
		ticket, err := signTicket(key, c)
		if err != nil {
			return nil, err
		}
		out.ConnectInfos = append(out.ConnectInfos, cph.ConnectInfo{PhoneID: ph.ID, AccessInfo: cph.ConnectAccessInfo{
			AccessIP: accessIP, IntranetIP: intranetIP, AccessPort: c.AccessPort,
			SessionID: c.SessionID, Timestamp: strconv.FormatInt(c.IssuedAt, 10), Ticket: ticket,
		}})
	}
	return out, nil
}
