package org.acme;

@javax.xml.bind.annotation.XmlRootElement(name = "address")
public class Address {
    private String street;
    private int number;
}
