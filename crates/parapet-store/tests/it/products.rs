use parapet_model::{ProductInput, VersionInput};
use parapet_store::StoreError;

use crate::{TestStore, on_both};

on_both!(products_and_versions);

async fn products_and_versions(store: TestStore) {
    let input = ProductInput {
        vendor: "Acme".into(),
        name: "Widget".into(),
        cpe: Some("cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*".into()),
        purl: Some("pkg:generic/acme/widget".into()),
    };
    let widget = store.create_product("root", &input.validate().unwrap()).await.unwrap();
    let again = store.create_product("root", &input.validate().unwrap()).await.unwrap_err();
    assert!(matches!(again, StoreError::Invalid(ref e) if e.field == "name"), "{again:?}");
    let gadget = ProductInput { vendor: "Acme".into(), name: "Gadget".into(), cpe: None, purl: None };
    let gadget = store.create_product("root", &gadget.validate().unwrap()).await.unwrap();
    assert_eq!(gadget.vendor_id, widget.vendor_id, "the vendor is shared");

    let v = VersionInput { version: "2.4.1".into(), branch: Some("2.x".into()), cpe: None, purl: None };
    store.add_product_version("root", widget.id, &v.validate().unwrap()).await.unwrap();
    assert!(store.add_product_version("root", widget.id, &v.validate().unwrap()).await.is_err());
    assert!(matches!(
        store.add_product_version("root", 999, &v.validate().unwrap()).await,
        Err(StoreError::NotFound(_))
    ));
    let all = store.products().await.unwrap();
    assert_eq!(all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Gadget", "Widget"]);
    assert_eq!(all[1].versions[0].branch.as_deref(), Some("2.x"));
}
