package openapispec

// billingOperations are the billing (BSS) stand-ins and IAM's
// GET /v3/auth/domains: the calls Huawei's clients make around a server's
// lifecycle besides CPH's own. They have no project in the path and act on
// the caller's account; their errors use the CPH envelope with BSS's CBC
// codes.
func billingOperations() []operation {
	orderInfo := obj("order_id string!; customer_id string!; service_type_code string!; service_type_name string!; source_type int32!; "+
		"status int32!; order_type int32!; amount_after_discount number!; official_amount number!; measure_id int32!; "+
		"create_time time!; payment_time time!; currency string!",
		"status", enum("int32", 3, 5), "order_type", enum("int32", 1, 4))
	lineItem := obj("order_line_item_id string!; order_id string!; service_type_code string!; service_type_name string!; product_id string; " +
		"product_owner_service string!; commercial_resource string!; subscription_num int32!; amount_after_discount number!; " +
		"official_amount number!; currency string!; effective_time time!")
	return []operation{
		{method: "GET", path: "/v2/orders/customer-orders/details/{order_id}", id: "ShowCustomerOrderDetails", tag: "billing", fam: cphFamily,
			summary: "An order of the caller's account: a server purchase (order_type 1) or an unsubscription (order_type 4); status 3 while its servers are created or deleted, 5 once done. 404 CBC.0101 for an order unknown in the account.",
			params: ps(path("order_id", "Order id (from CreateCloudPhoneServer's order_id, or an unsubscription's order_ids)."),
				query("limit", typ("int32"), "Order items per page, 1-100 (default 10)."), query("offset", typ("int32"), "Order items to skip (default 0).")),
			resp: obj("total_count int32!; order_info object!; order_line_items []object!", "order_info", orderInfo,
				"order_line_items", M{"type": "array", "items": lineItem})},
		{method: "POST", path: "/v2/orders/subscriptions/resources/unsubscribe", id: "CancelResourcesSubscription", tag: "billing", fam: cphFamily,
			summary: "Unsubscribe from servers of the caller's account: they are deleted as DeleteCloudPhoneServer deletes them, one order (its deletion job) per project. Admins only (403 CBC.0151).",
			body: obj("resource_ids []string!; unsubscribe_type int32!; unsubscribe_reason_type int32; unsubscribe_reason string",
				"unsubscribe_type", enum("int32", 1)),
			resp: obj("order_ids []string!")},
		{method: "GET", path: "/v3/auth/domains", id: "KeystoneListAuthDomains", tag: "iam", fam: iamFamily,
			summary: "The accounts the caller's credential may use: its own.",
			resp:    obj("domains []object!; links object!", "domains", M{"type": "array", "items": obj("id string!; name string!; enabled bool!; description string!; links object!")})},
	}
}
